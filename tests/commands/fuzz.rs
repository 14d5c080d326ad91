//! Every command with arguments the page never sends: wrong types, missing and extra keys,
//! near-miss ids and dates, huge and hostile strings. Each call returns (no panic reaches the
//! IPC layer), a refusal is either tauri's own "invalid args" text (the arguments did not
//! deserialize, so the command never ran) or exactly `{code, message}`, and a refused call
//! leaves every table of the database as it was. Seeded by proptest (failures are saved and
//! shrunk to the smallest call that breaks a rule).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rollbook_app::AppState;
use rollbook_core::secret::Secret;
use rollbook_core::sync::TokenStore;
use serde_json::{json, Map, Value};

use super::*;

const OFFERING: &str = "5f0c1a2e-3b4d-4c5e-8f60-718293a4b5c6";
const STUDENT: &str = "c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f";

/// Every argument name a command takes (camelCase, as the page sends them).
const KEYS: &[&str] = &[
    "offering", "student", "date", "status", "csv", "fileName", "apiUrl", "schoolId", "token",
    "from", "to", "theme", "lang", "kind", "query", "id", "keepDays", "days",
];

/// A string that is almost right, or hostile.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(OFFERING.to_string()),
        Just(STUDENT.to_string()),
        Just(OFFERING.to_uppercase()),
        Just(OFFERING[..35].to_string()),
        Just(format!("{OFFERING}0")),
        Just("00000000-0000-0000-0000-000000000000".to_string()),
        Just(date().to_string()),
        Just("2024-02-30".to_string()),
        Just("2024-3-5".to_string()),
        Just("9999-12-31".to_string()),
        Just("present".to_string()),
        Just("Present ".to_string()),
        Just("absent\0".to_string()),
        Just("csv".to_string()),
        Just("../../../etc/passwd".to_string()),
        Just("http://example.com".to_string()),
        Just("ftp://127.0.0.1/".to_string()),
        Just("not a url".to_string()),
        Just(String::new()),
        Just("ÿ\u{202e}名前🙂".to_string()),
        Just("x".repeat(100_000)),
        "\\PC{0,40}",
    ]
}

/// A value the page could never send, or one that is almost right.
fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        12 => hostile_string().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<f64>().prop_map(|n| json!(n)),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One call: a command and an arguments object built from `KEYS`. Half the calls have the
/// types the commands declare (strings, integers for `id` and `keepDays`, a list of integers
/// for `days`) with hostile
/// contents, so they reach the commands' own checks; the other half have anything at all.
fn command_call() -> impl Strategy<Value = (&'static str, Value)> {
    let command = prop::sample::select(rollbook_app::COMMANDS.to_vec());
    let typed = prop::collection::vec((hostile_string(), any::<i64>(), any::<bool>()), KEYS.len())
        .prop_map(|values| {
            let mut map = Map::new();
            for (key, (text, number, present)) in KEYS.iter().zip(values) {
                let value = match *key {
                    "id" | "keepDays" => json!(number),
                    // Weekdays: one near 1..=7 and one anywhere.
                    "days" => json!([number.rem_euclid(10), number]),
                    _ => Value::String(text),
                };
                if present || !matches!(*key, "from" | "to" | "schoolId") {
                    map.insert((*key).to_string(), value);
                }
            }
            Value::Object(map)
        });
    let anything = prop::collection::vec(prop::option::weighted(0.85, hostile_value()), KEYS.len())
        .prop_map(|values| {
            let mut map = Map::new();
            for (key, value) in KEYS.iter().zip(values) {
                if let Some(value) = value {
                    map.insert((*key).to_string(), value);
                }
            }
            Value::Object(map)
        });
    (command, prop_oneof![typed, anything])
}

/// A machine without a usable keyring.
struct NoKeyring;

impl TokenStore for NoKeyring {
    fn get(&self) -> rollbook_core::Result<Option<Secret>> {
        Ok(None)
    }
    fn set(&self, _: &Secret) -> rollbook_core::Result<()> {
        Err(rollbook_core::Error::Auth(
            "no keyring on this machine".into(),
        ))
    }
    fn delete(&self) -> rollbook_core::Result<bool> {
        Ok(false)
    }
}

/// The tables whose rows differ, with the first differing row on each side ("" when none).
fn changes(before: &Snapshot, after: &Snapshot) -> String {
    let mut out = String::new();
    for (table, rows) in after {
        let old = before.get(table).cloned().unwrap_or_default();
        if &old != rows {
            let first = rows.iter().zip(&old).position(|(a, b)| a != b);
            let at = first.unwrap_or(old.len().min(rows.len()));
            out += &format!(
                "\n  {table}: {} rows → {} rows; first difference {:?} → {:?}",
                old.len(),
                rows.len(),
                old.get(at),
                rows.get(at)
            );
        }
    }
    out
}

#[test]
fn hostile_arguments_never_panic_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    // No keyring: signing in is refused, so no engine starts delivering in the background
    // and every change to the database comes from the call being checked.
    let state = AppState::new(dir.path().to_path_buf())
        .with_token_store(Arc::new(NoKeyring))
        .with_export_dir(exports.path().to_path_buf());
    let (_app, window) = app_with(state);
    import(&window, fixture());
    call(
        &window,
        "set_mark",
        json!({"offering": OFFERING, "student": STUDENT, "date": date(), "status": "late"}),
    )
    .expect("a real mark, so history, counts and views have something to show");
    let db = dir.path().join("rollbook.db");

    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    // How many calls got past tauri's argument check into the command itself: the test is
    // only worth something if most do.
    let reached = std::cell::Cell::new(0_u32);
    runner
        .run(&command_call(), |(command, args)| {
            let before = snapshot(&db);
            let result = call(&window, command, args.clone());
            if !matches!(result, Err(Value::String(_))) {
                reached.set(reached.get() + 1);
            }
            match result {
                Ok(_) => {}
                Err(Value::String(message)) => {
                    prop_assert!(
                        message.contains("invalid args")
                            || message.contains("missing required key"),
                        "{command}: a refusal in plain text is tauri's argument check: {message}"
                    );
                    let changed = changes(&before, &snapshot(&db));
                    prop_assert!(
                        changed.is_empty(),
                        "{command} changed the database: {changed}"
                    );
                }
                Err(error) => {
                    // A rejected file also lists its first bad rows (line, column, reason)
                    // and counts the others (`more_rows`); a date outside the marking window
                    // names the date and the window (`date`, `first`, `last`).
                    let keys = match error["code"].as_str() {
                        Some("bad_file") => 4,
                        Some("date_outside_window") => 5,
                        _ => 2,
                    };
                    prop_assert!(
                        error.as_object().is_some_and(|o| o.len() == keys)
                            && error["code"].is_string()
                            && error["message"]
                                .as_str()
                                .is_some_and(|m| !m.trim().is_empty()),
                        "{command}: errors are {{code, message}} and their documented fields only: {error}"
                    );
                    // What is wrong is named without echoing a huge input back: one message,
                    // or each row's reason in a rejected file.
                    let reasons: Vec<&str> = match error["rows"].as_array() {
                        Some(rows) => rows.iter().filter_map(|r| r["reason"].as_str()).collect(),
                        None => vec![error["message"].as_str().unwrap()],
                    };
                    prop_assert!(
                        reasons.iter().all(|r| r.len() < 1_000),
                        "{command}: the message names the problem without echoing the input"
                    );
                    let changed = changes(&before, &snapshot(&db));
                    prop_assert!(
                        changed.is_empty(),
                        "{command} was refused ({error}) but changed the database: {changed}"
                    );
                }
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert!(
        reached.get() >= 150,
        "only {} of 300 calls reached a command; the generator needs fixing",
        reached.get()
    );
}
