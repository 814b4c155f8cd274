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

/// Whether `actor` may reach patient `patient_id`'s record (the application layer's rule of reach); a refusal
/// is audited before it is answered. For the handlers not yet moved into the application layer, whose use
/// cases will decide access through `il2care_app::access::authorize`.
pub async fn authorize(
    conn: &mut il2care_store::Conn,
    actor: &Actor,
    patient_id: i64,
    resource: &str,
) -> Result<(), crate::error::AppError> {
    if access::within_reach(actor.role.app(), actor.user.patient_id, patient_id) {
        return Ok(());
    }
    access::append(conn, &actor.app(), "denied", resource, Some(patient_id), "denied", crate::now()).await?;
    Err(crate::error::AppError::Forbidden("this record is not yours to see".into()))
}

/// Authorizes a write by `actor`: the role must be one of `roles` and, for a patient's record, the record within
/// reach. Every refusal is audited before it is answered. For the handlers not yet moved into the application
/// layer (their use cases will name an `il2care_app::access::Action`).
pub async fn authorize_write(
    state: &crate::AppState,
    actor: &Actor,
    roles: &[Role],
    patient_id: Option<i64>,
    resource: &str,
) -> Result<(), crate::error::AppError> {
    let refusal = match actor.require(roles) {
        Err(error) => Some(error),
        Ok(()) => {
            let within_reach = match patient_id {
                None => true,
                Some(id) => access::within_reach(actor.role.app(), actor.user.patient_id, id),
            };
            (!within_reach).then(|| crate::error::AppError::Forbidden("this record is not yours to see".into()))
        }
    };
    match refusal {
        None => Ok(()),
        Some(error) => {
            let mut conn = state.store.connection().await?;
            access::append(&mut conn, &actor.app(), "denied", resource, patient_id, "denied", crate::now()).await?;
            Err(error)
        }
    }
}
