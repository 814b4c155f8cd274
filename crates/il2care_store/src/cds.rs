//! The CDS Hooks cards il2care issued (migration 0014): written by the group-commit writer with the call's
//! audit entry (`group_commit::IssuedCard`), read here when feedback names a card.

use sqlx::Row;

use crate::{Conn, StoreError};

/// A card il2care issued, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCard {
    pub uuid: String,
    pub service_id: String,
    pub patient_id: i64,
    pub issued_to: String,
    pub issued_at_ms: i64,
    pub kept_until_ms: i64,
}

/// The issued cards among `uuids` that are still kept at `now_ms` (one query for a whole feedback request).
pub async fn issued_cards(conn: &mut Conn, uuids: &[&str], now_ms: i64) -> Result<Vec<StoredCard>, StoreError> {
    if uuids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..uuids.len()).map(|index| format!("${}", index + 2)).collect();
    let sql = format!(
        "SELECT uuid, service_id, patient_id, issued_to, issued_at_ms, kept_until_ms FROM cds_cards \
         WHERE kept_until_ms >= $1 AND uuid IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(now_ms);
    for uuid in uuids {
        query = query.bind(*uuid);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            Ok(StoredCard {
                uuid: row.try_get("uuid")?,
                service_id: row.try_get("service_id")?,
                patient_id: row.try_get("patient_id")?,
                issued_to: row.try_get("issued_to")?,
                issued_at_ms: row.try_get("issued_at_ms")?,
                kept_until_ms: row.try_get("kept_until_ms")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
