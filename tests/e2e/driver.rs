//! tauri-driver (which starts WebKitWebDriver, which starts the app) and a WebDriver session
//! on the real window.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The app binary cargo built for this test run (same features as the test itself).
pub const APP: &str = env!("CARGO_BIN_EXE_rollbook");

/// How long the window may take to show something: a cold WebKit start under Xvfb on a busy
/// 2-core machine takes a few seconds.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `$CARGO_HOME/bin/tauri-driver` (where `cargo install` puts it), else the PATH.
pub fn tauri_driver_path() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(candidate) = cargo_home.map(|h| h.join("bin/tauri-driver")) {
        if candidate.is_file() {
            return candidate;
        }
    }
    PathBuf::from("tauri-driver")
}

fn wait_until_listening(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            start.elapsed() < PATIENCE,
            "{what} did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port");
    listener.local_addr().expect("a bound address").port()
}

/// A running tauri-driver with its own XDG directories; killed (with WebKitWebDriver and any
/// app it started) when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    native_port: u16,
}

impl Driver {
    /// Starts tauri-driver; the app it launches sees `$XDG_*_HOME` under `home`.
    pub fn start(home: &Path) -> Driver {
        Self::start_with(home, &[])
    }

    /// As [`Driver::start`], with these extra environment variables for the app.
    pub fn start_with(home: &Path, env: &[(&str, &str)]) -> Driver {
        let (port, native_port) = (free_port(), free_port());
        let mut command = Command::new(tauri_driver_path());
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env_remove("ROLLBOOK_DATA_DIR")
            // The app's own settings and keyring decide, not the test runner's environment.
            .env_remove("ROLLBOOK_API_URL")
            .env_remove("ROLLBOOK_SCHOOL_ID")
            .env_remove("ROLLBOOK_TOKEN")
            // The assertions read the English page; a Spanish system would show Spanish.
            .env("LANGUAGE", "en_US")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        // Its own process group, so that dropping it ends WebKitWebDriver and the app too.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; install it with `cargo install tauri-driver --locked` \
                 (make test does)",
                tauri_driver_path().display()
            )
        });
        let driver = Driver {
            child,
            port,
            native_port,
        };
        // tauri-driver listens before WebKitWebDriver does: a session asked for in between
        // fails, so wait for both.
        wait_until_listening(driver.port, "tauri-driver");
        wait_until_listening(driver.native_port, "WebKitWebDriver");
        driver
    }

    /// Launches the app (a new WebDriver session) with these extra arguments.
    pub async fn launch(&self, args: &[&str]) -> Client {
        self.launch_program(APP, args).await
    }

    /// Launches another Tauri program (e.g. the bare window of the benchmarks).
    pub async fn launch_program(&self, program: &str, args: &[&str]) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": program, "args": args }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("WebDriver session with {program}: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM to the whole group: tauri-driver, WebKitWebDriver, the app.
        let group = format!("-{}", self.child.id());
        let killed = Command::new("kill").args(["-TERM", "--", &group]).status();
        if !killed.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
