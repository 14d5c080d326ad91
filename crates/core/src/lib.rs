//! Rollbook's core: everything that is not the window.
//!
//! - [`ids`]: validated identifiers, dates and statuses (the vocabulary of the Athena API).
//! - [`store`]: the SQLite file, its pragmas and numbered migrations.
//! - [`clock`]: time is passed in so rules and the sync engine are testable.
//! - [`paths`]: where the data directory is.
//! - [`error`]: the one error type, serialized to the UI as `{code, message}`.

pub mod clock;
pub mod error;
pub mod ids;
pub mod paths;
pub mod store;

pub use error::{Error, Result};
pub use ids::{Day, Id, Status};
