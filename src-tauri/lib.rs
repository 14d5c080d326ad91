//! Rollbook's desktop shell: the only Rust that imports `tauri`. It parses the command line,
//! holds the shared state, runs the sync engine and exposes thin commands over
//! `rollbook_core` to the window.

pub mod commands;
pub mod demo;
pub mod engine;
pub mod events;
pub mod exports;
pub mod launch;
pub mod rendering;
pub mod school_pull;
pub mod state;

use std::process::ExitCode;

use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime};

pub use launch::Launch;
pub use state::AppState;

include!("command_list.rs");

macro_rules! handler {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$module::$command),*]
    };
}

macro_rules! names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

/// Every command the window may call (the same list build.rs declares to the ACL).
pub const COMMANDS: &[&str] = with_commands!(names);

/// The app as the binary and the wiring tests build it: state, command handler, and at setup
/// the demo server (in demo mode) and the sync engine. Generic over the runtime so tests can use
/// `tauri::test::mock_builder()`.
pub fn builder<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(with_commands!(handler))
        .setup(|app| {
            start(app.handle());
            Ok(())
        })
}

/// What the app does once it runs (tauri calls it at setup; the wiring tests call it after
/// building on the mock runtime, which has no setup): in demo mode, start the demo server and
/// point the data at it; then, once the window has painted its first screen (the work below
/// would share the CPU with the page's start), the demo's school pull, with a retention set
/// the purge of older records, and the sync engine.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if let Err(error) = state.start_demo(tauri::async_runtime::handle().inner()) {
        eprintln!("rollbook: {error}");
    }
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        handle
            .state::<AppState>()
            .until_shown(FIRST_PAINT_WAIT)
            .await;
        // The demo pulls the whole sample school once, so its counselor screen has the records
        // (and "records as of") at once.
        if handle.state::<AppState>().is_demo() {
            if let Err(error) = handle.state::<AppState>().start_school_pull(&handle) {
                eprintln!("rollbook: the demo's school pull did not start: {error}");
            }
        }
        // With a retention set, records older than it go first (off the async workers: it is
        // one SQLite transaction). The window works meanwhile.
        let purger = handle.clone();
        let _ = tauri::async_runtime::spawn_blocking(move || {
            commands::retention::purge_at_start(&purger.state::<AppState>())
        })
        .await;
        let mut told = false;
        // Until it starts: `rollbook-cli sync` may hold the database's sync lock for a while.
        // Meanwhile the window works (marks are saved here) and the chip shows nothing is sent.
        while let Err(error) = handle.state::<AppState>().restart_engine(&handle).await {
            if !told {
                eprintln!("rollbook: sync is not running yet: {error}");
                told = true;
            }
            tokio::time::sleep(ENGINE_RETRY).await;
            if handle.state::<AppState>().sync.status().is_some() {
                break;
            }
        }
    });
}

/// How long the start-up's background work waits for the window's first screen at most.
const FIRST_PAINT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// How often the app tries again to start a sync engine that could not start.
const ENGINE_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

/// tauri.conf.json, the embedded UI (release-like builds) and the resolved ACL.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Runs the desktop app with the arguments after the program name.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    // Before any thread starts: the environment WebKit's processes will read.
    rendering::choose();
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
    let state = if launch.demo {
        AppState::demo(data_dir)
    } else {
        AppState::new(data_dir)
    };
    let app = match builder(Builder::default(), state).build(context()) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("rollbook: {error}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Requests in flight finish (or the next launch checks the server for them).
            tauri::async_runtime::block_on(app.state::<AppState>().sync.stop_for_exit());
        }
    });
    ExitCode::SUCCESS
}
