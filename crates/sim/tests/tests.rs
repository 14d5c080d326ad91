//! Integration tests of athena-sim: a real server on `127.0.0.1:0`, a real reqwest client.
//! One test binary, a module per area.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod common;
mod faults;
mod idle;
mod listing;
mod sample;
mod validation;
