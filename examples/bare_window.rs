//! A bare Tauri window: the same tauri build as Rollbook (same crate, features and profile) but
//! no state, no commands, no sync engine, and a page of static HTML. benches/window.sh measures
//! its launch time and memory next to Rollbook's, so the figures say what Rollbook adds.
//!
//! `cargo run --example bare_window --features tauri/custom-protocol`

use tauri::http::Response;
use tauri::{WebviewUrl, WebviewWindowBuilder};

const PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>Bare window</title></head><body><h1 id=\"ready\">A bare Tauri window</h1></body></html>";

fn main() {
    let mut context = tauri::generate_context!();
    // Not Rollbook's window and page: only the one below.
    context.config_mut().app.windows.clear();
    let app = tauri::Builder::default()
        .register_uri_scheme_protocol("bare", |_ctx, _request| {
            Response::builder()
                .header("Content-Type", "text/html; charset=utf-8")
                .body(PAGE.as_bytes().to_vec())
                .unwrap_or_default()
        })
        .setup(|app| {
            let url = "bare://localhost/".parse()?;
            WebviewWindowBuilder::new(app, "main", WebviewUrl::CustomProtocol(url))
                .title("Bare window")
                .inner_size(1024.0, 720.0)
                .build()?;
            Ok(())
        })
        .build(context);
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => eprintln!("bare_window: {error}"),
    }
}
