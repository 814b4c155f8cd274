//! The rule catalogue's use case: [`catalogue_parameters`], the thresholds in force at this site (the core's
//! defaults with the site's settings, such as its tachycardia threshold), for the care team, the read audited.
//! [`site_overrides`] reads the site's settings from the record.

use il2care_core::assessment::thresholds::Parameters;
use il2care_store::Store;
use jiff::Timestamp;

use crate::Error;
use crate::access::{self, Action, Actor};

/// The site setting that holds the tachycardia hold threshold (beats per minute).
pub const TACHYCARDIA_SETTING: &str = "tachycardia_hold_min";

pub use crate::courses::site_overrides;

/// `GET /rules`: the thresholds in force at this site, for the care team (nurse, physician, pharmacist); the
/// read is audited (`rules`) before it is answered, a refusal before it is refused.
pub async fn catalogue_parameters(store: &Store, actor: &Actor, now: Timestamp) -> Result<Parameters, Error> {
    access::authorize(store, actor, None, Action::ReadRuleCatalogue, "rules", now).await.map_err(
        |error| match error {
            Error::Forbidden(_) => Error::Forbidden("the rule catalogue is for the care team".into()),
            other => other,
        },
    )?;
    let overrides = {
        let mut conn = store.connection().await?;
        site_overrides(&mut conn).await?
    };
    let parameters = Parameters::with_overrides(&overrides)?;
    access::audit_read(store, actor, "rules", None, now).await?;
    Ok(parameters)
}
