//! `in_flight`, `open_connections` and `wait_idle`: what tests use, after killing a client
//! mid-request, to know the sim is done with everything that client sent (no sleeps, no grace
//! periods). Timeouts here only stop a broken test from hanging.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use athena_sim::Faults;

use crate::common::{builder, payload, WRITE};

/// Only stops a broken test from hanging; never what is being checked.
const GUARD: Duration = Duration::from_secs(30);

fn raw_post(body: &str) -> String {
    format!(
        "POST /academic/attendance HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {WRITE}\r\n\
         Content-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Polls `ok` (a counter check) until it holds; panics with `what` after [`GUARD`].
async fn until(what: &str, ok: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + GUARD;
    while !ok() {
        assert!(tokio::time::Instant::now() < deadline, "never saw {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_connection_and_a_request_in_a_handler_are_counted_until_they_end() {
    // A latency far longer than the test: the request sits in its handler until dropped.
    let sim = builder()
        .empty_store()
        .faults(Faults::none().with_latency_ms(3_600_000))
        .start()
        .await
        .unwrap();
    assert_eq!((sim.in_flight(), sim.open_connections()), (0, 0));
    sim.wait_idle(GUARD).await.expect("a fresh sim is idle");

    let idle = TcpStream::connect(sim.addr()).unwrap();
    until("the idle connection", || sim.open_connections() == 1).await;
    // (A short wait: it must fail whatever the load, since the connection stays open. The
    // counts are at least ours: its own probe may still be open when it gives up.)
    let busy = sim.wait_idle(Duration::from_millis(50)).await.unwrap_err();
    assert!(busy.connections >= 1, "{busy}");

    let mut client = TcpStream::connect(sim.addr()).unwrap();
    let body = payload(&sim, 0, "2024-03-15", "present").to_string();
    client.write_all(raw_post(&body).as_bytes()).unwrap();
    until("the request in its handler", || sim.in_flight() == 1).await;
    let busy = sim.wait_idle(Duration::from_millis(50)).await.unwrap_err();
    assert!(busy.in_flight >= 1 && busy.connections >= 2, "{busy}");
    assert!(
        busy.to_string().contains("request(s) being handled"),
        "{busy}"
    );

    // The client gives up: its handler is dropped, uncounted, and stored nothing.
    drop(client);
    drop(idle);
    sim.wait_idle(GUARD)
        .await
        .expect("both clients are gone: the sim becomes idle");
    assert_eq!((sim.in_flight(), sim.open_connections()), (0, 0));
    assert_eq!(
        sim.record_count(),
        0,
        "the abandoned request never got that far"
    );
}

#[test]
fn wait_idle_covers_a_connection_the_sim_has_not_accepted_yet() {
    // The sim on a runtime of its own with one worker, which the test holds busy: a client can
    // connect (the OS queues the connection) and send, while the sim accepts nothing. This is
    // a loaded machine in slow motion.
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = builder().empty_store().start_on(sim_rt.handle()).unwrap();
    let (holding, held) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    sim_rt.spawn(async move {
        holding.send(()).unwrap();
        let _ = released.recv_timeout(GUARD);
    });
    held.recv().unwrap();

    let mut client = TcpStream::connect(sim.addr()).unwrap();
    client.set_read_timeout(Some(GUARD)).unwrap();
    let body = payload(&sim, 0, "2024-03-15", "present").to_string();
    client.write_all(raw_post(&body).as_bytes()).unwrap();
    let reader = std::thread::spawn(move || {
        let mut answer = String::new();
        let _ = client.read_to_string(&mut answer);
        answer
    });
    assert_eq!(
        (sim.in_flight(), sim.open_connections()),
        (0, 0),
        "queued, not accepted: the counters cannot see it yet"
    );

    let test_rt = tokio::runtime::Runtime::new().unwrap();
    let busy = test_rt
        .block_on(sim.wait_idle(Duration::from_millis(50)))
        .expect_err("a sim that accepts nothing is not idle, whatever its counters say");
    assert!(!busy.accepting, "{busy}");
    assert!(busy.to_string().contains("not accepted yet"), "{busy}");

    release.send(()).unwrap();
    test_rt
        .block_on(sim.wait_idle(GUARD))
        .expect("the sim becomes idle once it is let go");
    assert_eq!(
        sim.record_count(),
        1,
        "wait_idle returned only after the queued request was handled"
    );
    assert!(reader.join().unwrap().starts_with("HTTP/1.1 201"));
}
