//! Reading the audit log (admin only, [`Action::ReadAuditLog`]): one [`page`] of the filtered log, newest first
//! (keyset paging on the entry id, never OFFSET, so the thousandth page costs what the first does), and the
//! filtered entries for a CSV [`export`], read a page at a time up to a bound. Each read is audited before it is
//! answered, each refusal too. The filters are read from text by the adapter.

use il2care_store::Store;
use il2care_store::administration;
use jiff::Timestamp;

use crate::Error;
use crate::access::{self, Action, Actor};

pub use il2care_store::administration::AuditFilter;
pub use il2care_store::audit::AuditRecord;

/// The most entries one page holds.
pub const MAX_PAGE: i64 = 1000;

/// Whether `actor` may read the log (a refusal is audited): for an adapter that answers a bad filter only to
/// whoever may read the log.
pub async fn may_read(store: &Store, actor: &Actor, now: Timestamp) -> Result<(), Error> {
    access::authorize(store, actor, None, Action::ReadAuditLog, "audit", now).await
}

/// One page of the filtered log, newest first, at most `limit` (1 to [`MAX_PAGE`]) entries.
pub async fn page(
    store: &Store,
    actor: &Actor,
    filter: &AuditFilter,
    limit: i64,
    now: Timestamp,
) -> Result<Vec<AuditRecord>, Error> {
    may_read(store, actor, now).await?;
    let entries = {
        let mut conn = store.connection().await?;
        administration::audit_entries(&mut conn, filter, limit.clamp(1, MAX_PAGE)).await?
    };
    access::audit_read(store, actor, "audit", None, now).await?;
    Ok(entries)
}

/// Every entry the filter matches, newest first, up to `max_rows` (read [`MAX_PAGE`] at a time); audited as
/// one read of the log (`audit/export`).
pub async fn export(
    store: &Store,
    actor: &Actor,
    filter: &AuditFilter,
    max_rows: usize,
    now: Timestamp,
) -> Result<Vec<AuditRecord>, Error> {
    may_read(store, actor, now).await?;
    let mut filter = filter.clone();
    let mut entries: Vec<AuditRecord> = Vec::new();
    {
        let mut conn = store.connection().await?;
        loop {
            let page = administration::audit_entries(&mut conn, &filter, MAX_PAGE).await?;
            let full = page.len() as i64 == MAX_PAGE;
            filter.before_id = page.last().map(|entry| entry.id);
            entries.extend(page);
            if !full || entries.len() >= max_rows {
                break;
            }
        }
    }
    entries.truncate(max_rows);
    access::audit_read(store, actor, "audit/export", None, now).await?;
    Ok(entries)
}
