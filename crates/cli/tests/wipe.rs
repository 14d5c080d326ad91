//! `rollbook-cli wipe`: refuses without confirmation when no one can be asked, and with `--yes`
//! removes the database and the files beside it (then the saved token, see below).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

const ROSTER: &str = "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,\
                      student_id,student_name\n\
                      a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d,Matemáticas 7A,\
                      b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e,c3d4e5f6-a7b8-4c9d-0e1f-000000000001,\
                      d4e5f6a7-b8c9-4d0e-a1b2-000000000001,Ana Álvarez\n";

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollbook-cli"))
        .args(args)
        .env("ROLLBOOK_DATA_DIR", data)
        .env("ROLLBOOK_API_URL", "http://127.0.0.1:9")
        // No keyring reachable: the token step fails the same way on every machine.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/rollbook-test-bus",
        )
        .env_remove("DISPLAY")
        .env_remove("ROLLBOOK_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("run rollbook-cli")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn wipe_needs_yes_without_a_terminal_then_removes_the_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("school-data");
    let roster = tmp.path().join("roster.csv");
    std::fs::write(&roster, ROSTER).expect("write roster");
    let o = run(
        &data,
        &["roster", "import", roster.to_str().expect("utf-8")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let db = data.join("rollbook.db");
    assert!(db.exists());
    assert!(
        data.join("rollbook.records.db").exists(),
        "the cached records' file is beside it"
    );

    let o = run(&data, &["wipe"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "no terminal, no --yes: refused as bad input"
    );
    assert!(
        stderr(&o).contains("--yes"),
        "the refusal says how: {}",
        stderr(&o)
    );
    assert!(db.exists(), "a refused wipe deletes nothing");

    let o = run(&data, &["wipe", "--yes"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("Deleted the Rollbook data"), "{out}");
    // Without a keyring the token cannot be deleted: that is reported (exit 1), after the data
    // is gone; with a keyring the wipe ends 0.
    match o.status.code() {
        Some(0) => {}
        Some(1) => assert!(
            stderr(&o).contains("local data was deleted"),
            "a failed token deletion says the data is gone: {}",
            stderr(&o)
        ),
        other => panic!("wipe --yes ended {other:?}: {}", stderr(&o)),
    }
    for file in ["rollbook.db", "rollbook.records.db"] {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let f = data.join(format!("{file}{suffix}"));
            assert!(!f.exists(), "{} is wiped", f.display());
        }
    }
    assert!(!data.join("rollbook.db.sync-lock").exists());
    assert!(!data.exists(), "the emptied data directory is removed");

    let o = run(&data, &["wipe", "--yes"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("No Rollbook data"), "{out}");
    assert!(
        !data.join("rollbook.db").exists(),
        "wipe never creates a database"
    );
}

/// On a terminal (util-linux `script` gives one; skipped where it is missing), a wrong name
/// keeps everything and the data directory's name wipes.
#[test]
fn wipe_on_a_terminal_asks_for_the_directory_name() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: no /usr/bin/script to provide a terminal");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("room-12");
    let o = run(&data, &["offerings"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let db = data.join("rollbook.db");
    let on_tty = |answer: &str| {
        let cmd = format!(
            "{} --data-dir {} wipe",
            env!("CARGO_BIN_EXE_rollbook-cli"),
            data.display()
        );
        let mut child = Command::new("/usr/bin/script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("ROLLBOOK_API_URL", "http://127.0.0.1:9")
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/rollbook-test-bus",
            )
            .env_remove("DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin
                .write_all(format!("{answer}\n").as_bytes())
                .expect("answer");
        }
        let o = child.wait_with_output().expect("script ends");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = on_tty("room-13");
    assert!(
        out.contains("Type the data directory name (room-12)"),
        "{out}"
    );
    assert!(out.contains("nothing was deleted"), "{out}");
    assert!(db.exists(), "a wrong name deletes nothing");
    let out = on_tty("room-12");
    assert!(out.contains("Deleted the Rollbook data"), "{out}");
    assert!(!db.exists(), "the right name wipes");
}
