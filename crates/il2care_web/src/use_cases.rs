//! The glue between the service and the application layer (`il2care_app`): the signed-in [`Actor`] as the
//! application layer's actor.

use il2care_app::access;

use crate::auth::Actor;

impl Actor {
    /// The signed-in user as the application layer's actor.
    pub fn app(&self) -> access::Actor {
        access::Actor {
            username: self.user.username.clone(),
            role: self.role,
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
