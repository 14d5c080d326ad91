//! The app's commands, one module per area. Each is thin: take the state, call the core,
//! return its result; errors reach the window as `{code, message}`.
//! A new command is also listed in build.rs (COMMANDS), granted in
//! src-tauri/capabilities/main.json and added to `builder()` in lib.rs; tests/commands.rs checks it is reachable.

pub mod app;
pub mod roster;
