//! Rollbook's desktop shell: the only Rust that imports `tauri`. It parses the command line,
//! holds the shared state and exposes thin commands over `rollbook_core` to the window.

pub mod commands;
pub mod launch;
pub mod state;

use std::process::ExitCode;

use tauri::{Builder, Runtime};

pub use launch::Launch;
pub use state::AppState;

/// The app as the binary and the wiring tests build it: state and command handler.
/// Generic over the runtime so tests can use `tauri::test::mock_builder()`.
pub fn builder<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::roster::offerings,
        ])
}

/// tauri.conf.json, the embedded UI (release-like builds) and the resolved ACL.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Runs the desktop app with the arguments after the program name.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let launch = match Launch::parse(args) {
        Ok(launch) => launch,
        Err(problem) => {
            eprintln!("rollbook: {problem}\n\n{}", launch::USAGE);
            return ExitCode::from(2);
        }
    };
    if launch.help {
        println!("{}", launch::USAGE);
        return ExitCode::SUCCESS;
    }
    let data_dir = match launch.data_dir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("rollbook: {error}");
            return ExitCode::from(2);
        }
    };
    match builder(Builder::default(), AppState::new(data_dir)).run(context()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rollbook: {error}");
            ExitCode::FAILURE
        }
    }
}
