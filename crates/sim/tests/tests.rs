//! Integration tests of athena-sim: a real server on `127.0.0.1:0`, a real reqwest client.
//! One test binary, a module per area.

mod auth;
mod common;
mod faults;
mod idle;
mod listing;
mod sample;
mod validation;
