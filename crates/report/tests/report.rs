//! Integration tests of rollbook-report in one binary, one module per area (the layout of
//! ripgrep's tests/tests.rs). The modules live in tests/report/.

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
