//! The glue between the service and the application layer (`il2care_app`): the signed-in [`Actor`] as the
//! application layer's actor.

use il2care_app::access::{self, Role as AppRole};

use crate::auth::{Actor, Role};

impl Role {
    /// The same role in the application layer's policy.
    pub fn app(self) -> AppRole {
        match self {
            Role::Patient => AppRole::Patient,
            Role::Nurse => AppRole::Nurse,
            Role::Physician => AppRole::Physician,
            Role::Pharmacist => AppRole::Pharmacist,
            Role::Admin => AppRole::Admin,
        }
    }
}

impl Actor {
    /// The signed-in user as the application layer's actor.
    pub fn app(&self) -> access::Actor {
        access::Actor {
            username: self.user.username.clone(),
            role: self.role.app(),
            patient_id: self.user.patient_id,
            remote: self.remote.clone(),
        }
    }
}

impl access::AsActor for Actor {
    fn as_actor(&self) -> access::Actor {
        self.app()
    }
}
