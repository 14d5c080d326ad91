//! The OS keyring on a Linux machine without a session bus, as the desktop app would meet it:
//! a test binary of its own, because it points its whole process at a bus that is not there.
//!
//! The keyring crate connects to the Secret Service once per process; when that fails, every
//! later call must fail with the same clear message, never panic or hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_os = "linux")]
#[tokio::test]
async fn without_a_session_bus_every_keyring_call_says_so_the_same_way() {
    use rollbook_core::secret::Secret;
    use rollbook_core::sync::{KeyringTokens, TokenSource};
    use std::sync::Arc;

    // Set before the first keyring call of this process; no other test runs in it.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/rollbook-test-bus",
    );
    std::env::remove_var("DISPLAY");
    let source = TokenSource::new(Arc::new(KeyringTokens::system(
        "https://api.athena-erp.com",
    )));
    let first = source.get().await.unwrap_err();
    assert_eq!(first.code(), "auth");
    let message = first.to_string();
    assert!(
        message.starts_with("cannot connect to the Secret Service keyring: ")
            && message.ends_with(" (set ROLLBOOK_TOKEN to bypass the keyring)"),
        "the user is told what is missing and how to do without it: {message}"
    );
    for _ in 0..2 {
        let again = source.get().await.unwrap_err().to_string();
        assert_eq!(again, message, "a later call fails the same way");
    }
    let set = source.set(Secret::new("tok-1").unwrap()).await.unwrap_err();
    assert_eq!(
        set.to_string(),
        message,
        "signing in is refused the same way"
    );
    let delete = source.delete().await.unwrap_err();
    assert_eq!(
        delete.to_string(),
        message,
        "signing out is refused the same way"
    );
}
