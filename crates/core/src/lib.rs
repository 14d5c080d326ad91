//! Rollbook's core: everything that is not the window.
//!
//! - [`ids`]: validated identifiers, dates and statuses (the vocabulary of the Athena API).
//! - [`store`]: the SQLite file, its pragmas and numbered migrations.
//! - [`clock`]: time is passed in so rules and the sync engine are testable.
//! - [`paths`]: where the data directory is.
//! - [`error`]: the one error type, serialized to the UI as `{code, message}`.
//! - [`lookup`]: names of students and offerings, the student list (counselor view).
//! - [`roll`]: the roll-call screens' queries (today's offerings, one row, unsent marks).
//! - [`retention`]: how long records are kept on this computer, and the purge of older ones.

pub mod calendar;
pub mod checkin;
pub mod clock;
mod csv_file;
pub mod error;
pub mod history;
pub mod ids;
pub mod lookup;
mod mark_change;
pub mod marks;
pub mod outbox;
pub mod paths;
pub mod retention;
pub mod roll;
pub mod roster;
pub mod secret;
pub mod store;
pub mod sync;

pub use error::{Error, Result};
pub use ids::{Day, Id, Status};
