//! Runs tauri-build: reads tauri.conf.json, declares the app's commands so they are subject to
//! the ACL (each gets `allow-<command>` / `deny-<command>` permissions), and resolves the
//! capabilities in src-tauri/capabilities.

include!("src-tauri/command_list.rs");

/// The names of the commands listed in src-tauri/command_list.rs.
macro_rules! names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

/// Every `#[tauri::command]` in src-tauri/commands. A command missing here cannot be granted
/// and is refused at run time; the wiring tests in tests/ check each one.
const COMMANDS: &[&str] = with_commands!(names);

fn main() {
    // tauri-build only watches its default `./capabilities` directory.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/command_list.rs");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
