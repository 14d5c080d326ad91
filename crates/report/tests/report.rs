//! Integration tests of rollbook-report in one binary, one module per area (the layout of
//! ripgrep's tests/tests.rs). The modules live in tests/report/.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "report/util.rs"]
mod util;

#[path = "report/charts.rs"]
mod charts;
#[path = "report/class.rs"]
mod class;
#[path = "report/effective.rs"]
mod effective;
#[path = "report/export.rs"]
mod export;
#[path = "report/files.rs"]
mod files;
#[path = "report/gather.rs"]
mod gather;
#[path = "report/measures.rs"]
mod measures;
#[path = "report/png.rs"]
mod png;
#[path = "report/school.rs"]
mod school;
