//! The outbox: the life of an item ([`ItemState`], read and written as the `outbox.state`
//! column), how many items are in each state, and what needs the user's attention with the
//! user's actions on it ([`problems`]: retry, send again, discard). An item is written with its
//! mark ([`crate::mark_change`]) and moved by the engine ([`crate::sync::queue`]).

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::Serialize;

use crate::error::Result;
use crate::store::Store;

mod problems;

pub use problems::{
    discard, problems, rejected_items, resend_unknown, retry, Problem, RejectedItem,
};

/// The life of an outbox item (the `outbox.state` column; its CHECK lists the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemState {
    /// Saved here, waiting to be sent.
    Pending,
    /// Committed before its POST: the POST may be on its way or stored.
    Sending,
    /// The server stored it; its record is known.
    Synced,
    /// The answer left it unclear whether the server stored it: looked for before any re-send.
    Unknown,
    /// The server refused it, with a reason the user can read.
    Rejected,
    /// Never to be sent: replaced, already held by the server, or discarded.
    Cancelled,
}

impl ItemState {
    pub const ALL: [ItemState; 6] = [
        ItemState::Pending,
        ItemState::Sending,
        ItemState::Synced,
        ItemState::Unknown,
        ItemState::Rejected,
        ItemState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Sending => "sending",
            ItemState::Synced => "synced",
            ItemState::Unknown => "unknown",
            ItemState::Rejected => "rejected",
            ItemState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Not yet settled: the engine still has work with it (pending, sending, unknown).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ItemState::Pending | ItemState::Sending | ItemState::Unknown
        )
    }

    /// What this device holds over the server's records: not confirmed yet, and not given up
    /// (pending, sending, unknown, rejected). Such an item's mark is the one shown.
    pub fn is_unconfirmed(self) -> bool {
        self.is_active() || self == ItemState::Rejected
    }
}

impl std::fmt::Display for ItemState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql for ItemState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for ItemState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        ItemState::parse(text)
            .ok_or_else(|| FromSqlError::Other(format!("not an outbox state: {text:?}").into()))
    }
}

/// Outbox items by state (see [`ItemState`] for what each state means).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: u32,
    pub sending: u32,
    pub synced: u32,
    pub unknown: u32,
    pub rejected: u32,
    pub cancelled: u32,
}

impl OutboxCounts {
    /// The count of one state.
    pub fn of(&mut self, state: ItemState) -> &mut u32 {
        match state {
            ItemState::Pending => &mut self.pending,
            ItemState::Sending => &mut self.sending,
            ItemState::Synced => &mut self.synced,
            ItemState::Unknown => &mut self.unknown,
            ItemState::Rejected => &mut self.rejected,
            ItemState::Cancelled => &mut self.cancelled,
        }
    }
}

pub fn outbox_counts(store: &Store) -> Result<OutboxCounts> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT state, COUNT(*) FROM outbox GROUP BY state")?;
    let mut counts = OutboxCounts::default();
    for row in stmt.query_map([], |r| Ok((r.get::<_, ItemState>(0)?, r.get::<_, u32>(1)?)))? {
        let (state, n) = row?;
        *counts.of(state) = n;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_as_it_was_written() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for state in ItemState::ALL {
            let back: ItemState = conn.query_row("SELECT ?1", [state], |r| r.get(0)).unwrap();
            assert_eq!(back, state, "the column holds the state's own name");
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                state.as_str(),
                "the UI and --json see the same name as the database"
            );
        }
    }

    #[test]
    fn a_state_the_schema_does_not_know_is_an_error_naming_it() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let err = conn
            .query_row("SELECT 'lost'", [], |r| r.get::<_, ItemState>(0))
            .unwrap_err();
        assert!(err.to_string().contains("\"lost\""), "{err}");
    }
}
