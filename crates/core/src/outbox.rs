//! The outbox as the user sees it: how many items are in each state.

use serde::Serialize;

use crate::error::Result;
use crate::store::Store;

/// Outbox items by state (see the `outbox` table for what each state means).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: u32,
    pub sending: u32,
    pub synced: u32,
    pub unknown: u32,
    pub rejected: u32,
    pub cancelled: u32,
}

pub fn outbox_counts(store: &Store) -> Result<OutboxCounts> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT state, COUNT(*) FROM outbox GROUP BY state")?;
    let mut counts = OutboxCounts::default();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))? {
        let (state, n) = row?;
        match state.as_str() {
            "pending" => counts.pending = n,
            "sending" => counts.sending = n,
            "synced" => counts.synced = n,
            "unknown" => counts.unknown = n,
            "rejected" => counts.rejected = n,
            "cancelled" => counts.cancelled = n,
            _ => {}
        }
    }
    Ok(counts)
}
