//! The token never appears in SQLite, logs, errors or Debug output, whatever goes wrong.

use std::io::Write;
use std::sync::{Arc, Mutex};

use athena_sim::FaultKind;
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::{self, TokenStore};
use rollbook_core::Status;

use crate::sync_support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn everything_in(store: &Store) -> String {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut out = String::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..n {
                out.push_str(&format!("{:?}|", row.get_ref(i).unwrap()));
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn a_failing_sync_never_reveals_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // One thread: every task (engine, HTTP, sim) logs into the subscriber above.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut seen: Vec<String> = Vec::new();
    rt.block_on(async {
        let mut rig = Rig::start(sim_builder()).await;
        let (_, refused) = rig.pick(0, 2);
        rig.sim
            .reject_student(uuid::Uuid::parse_str(refused.as_str()).unwrap());
        for s in 0..6 {
            rig.mark(0, s, Status::Present);
        }
        // Unreachable server.
        let mut engine = rig.engine_using(api_for(&closed_port_url()), fast());
        seen.push(format!("{:?}", engine.pass().await));
        seen.push(format!("{engine:?} {:?}", engine.status()));
        drop(engine);
        // 5xx, garbage, drop, 422.
        rig.sim.fail_next(FaultKind::ServerError, 1);
        rig.sim.fail_next(FaultKind::Garbage, 1);
        rig.sim.fail_next(FaultKind::DropAfter, 1);
        let mut engine = rig.engine();
        seen.push(format!("{:?}", engine.pass().await));
        // 401, then a read-only token (403).
        rig.mark(1, 0, Status::Late);
        rig.sim.revoke_token(TOKEN);
        seen.push(format!("{:?}", engine.pass().await));
        seen.push(serde_json::to_string(&engine.status()).unwrap());
        let api = rig.api();
        let tokens = rig.token_source();
        let (offering, _) = rig.pick(0, 0);
        let pulled =
            sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering).await;
        seen.push(format!(
            "{pulled:?} {}",
            pulled
                .as_ref()
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        ));
        rig.sim
            .add_token("tok-READONLY-77aa91", &["read:attendance"]);
        rig.tokens
            .set(&Secret::new("tok-READONLY-77aa91").unwrap())
            .unwrap();
        seen.push(format!("{:?}", engine.pass().await));
        seen.push(format!(
            "{engine:?} {:?} {:?}",
            engine.status(),
            rig.token_source()
        ));
        drop(engine);
        seen.push(everything_in(&rig.store));
    });
    drop(_guard);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("sync blocked"),
        "the logs were captured: {logs}"
    );
    for secret in [TOKEN, "tok-READONLY-77aa91"] {
        assert!(!logs.contains(secret), "a log line carries the token");
        for text in &seen {
            assert!(!text.contains(secret), "the token leaked into: {text}");
        }
    }
}

/// A token typed into the API URL field, or carried in the URL itself, is not quoted back by
/// the error that refuses it; the rest of the URL is, so the user sees what is wrong.
#[test]
fn a_refused_api_url_does_not_quote_a_secret() {
    use rollbook_core::sync::api::BaseUrl;
    let secret = "tok-PASTED-4e1c97ab20";
    for (raw, shown) in [
        (secret.to_string(), "full address"),
        (format!(" {secret}\n"), "full address"),
        (
            format!("https://teacher:{secret}@api.athena-erp.com"),
            "api.athena-erp.com",
        ),
        (
            format!("https://{secret}@api.athena-erp.com"),
            "user name or password",
        ),
        (
            format!("https://api.athena-erp.com/?token={secret}"),
            "api.athena-erp.com",
        ),
        (
            format!("https://api.athena-erp.com/#{secret}"),
            "query or fragment",
        ),
        (
            format!("http://athena.example.edu/?access_token={secret}"),
            "only allowed to this computer",
        ),
    ] {
        let message = BaseUrl::parse(&raw).unwrap_err().to_string();
        assert!(!message.contains(secret), "{raw:?} gave: {message}");
        assert!(message.contains(shown), "{raw:?} gave: {message}");
    }
}
