//! Where the API token lives: the OS keyring (the Secret Service over D-Bus on Linux, the
//! Credential Manager on Windows, the Keychain on macOS), with `ROLLBOOK_TOKEN` overriding it for
//! automation. Never SQLite, never a log line.
//!
//! One keyring entry per API base URL (service `org.rollbook.app`, user = the base URL), so the
//! demo school's token and the real school's never mix. Keyring calls can hang when there is no
//! session bus, so the async entry points run them on the blocking pool with a timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::sync::api::ApiConfig;

/// The keyring service name of every Rollbook token.
pub const KEYRING_SERVICE: &str = "org.rollbook.app";
/// The environment variable that overrides the keyring.
pub const TOKEN_ENV: &str = "ROLLBOOK_TOKEN";
/// How long a keyring call may take before Rollbook gives up on it.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// A place a token is kept. Calls may block (D-Bus): use [`TokenSource`] from async code.
pub trait TokenStore: Send + Sync {
    /// The stored token, if any.
    fn get(&self) -> Result<Option<Secret>>;
    /// Stores (or replaces) the token.
    fn set(&self, token: &Secret) -> Result<()>;
    /// Deletes the token; `false` when there was none.
    fn delete(&self) -> Result<bool>;
}

/// A token kept in memory only (tests, benches, demo mode).
#[derive(Default)]
pub struct MemoryTokens(Mutex<Option<Secret>>);

impl MemoryTokens {
    pub fn new(token: Option<Secret>) -> MemoryTokens {
        MemoryTokens(Mutex::new(token))
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Secret>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryTokens")
    }
}

impl TokenStore for MemoryTokens {
    fn get(&self) -> Result<Option<Secret>> {
        Ok(self.slot().clone())
    }

    fn set(&self, token: &Secret) -> Result<()> {
        *self.slot() = Some(token.clone());
        Ok(())
    }

    fn delete(&self) -> Result<bool> {
        Ok(self.slot().take().is_some())
    }
}

/// The OS keyring's name in messages.
#[cfg(target_os = "windows")]
const KEYRING_NAME: &str = "Windows Credential Manager";
#[cfg(target_os = "macos")]
const KEYRING_NAME: &str = "macOS Keychain";
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const KEYRING_NAME: &str = "Secret Service keyring";

/// One credential of a keyring: what [`KeyringTokens`] needs of a `keyring::Entry`.
trait Credential: Send + Sync {
    fn get_password(&self) -> keyring::Result<String>;
    fn set_password(&self, password: &str) -> keyring::Result<()>;
    fn delete_credential(&self) -> keyring::Result<()>;
}

impl Credential for keyring::Entry {
    fn get_password(&self) -> keyring::Result<String> {
        keyring::Entry::get_password(self)
    }

    fn set_password(&self, password: &str) -> keyring::Result<()> {
        keyring::Entry::set_password(self, password)
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        keyring::Entry::delete_credential(self)
    }
}

/// Opens the credential of (service, user).
type OpenCredential = fn(&str, &str) -> Result<Box<dyn Credential>>;

/// The OS keyring through the `keyring` crate: the Secret Service on Linux and the other Unix
/// desktops, the Credential Manager on Windows, the Keychain on macOS.
pub struct KeyringTokens {
    open: OpenCredential,
    user: String,
}

impl std::fmt::Debug for KeyringTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringTokens")
            .field("user", &self.user)
            .finish()
    }
}

impl KeyringTokens {
    /// The platform keyring, for the token of the API at `base_url`. The keyring is connected
    /// to on the first call of the process; if that fails (no session bus, no Secret Service),
    /// every later call fails with the same message.
    pub fn system(base_url: &str) -> KeyringTokens {
        KeyringTokens {
            open: system_credential,
            user: base_url.to_string(),
        }
    }

    fn entry(&self) -> Result<Box<dyn Credential>> {
        (self.open)(KEYRING_SERVICE, &self.user)
    }
}

fn system_credential(service: &str, user: &str) -> Result<Box<dyn Credential>> {
    match keyring::Entry::new(service, user) {
        Ok(entry) => Ok(Box::new(entry)),
        // The store is made once per process; why it could not be is kept.
        Err(keyring::Error::NoDefaultStore) => Err(match keyring::Entry::store_status() {
            Err(why) => keyring_error(&format!("connect to the {KEYRING_NAME}"), why),
            Ok(()) => keyring_error("open the keyring entry", &keyring::Error::NoDefaultStore),
        }),
        Err(e) => Err(keyring_error("open the keyring entry", &e)),
    }
}

/// A keyring error in words, never with the secret's bytes (some variants carry them).
fn keyring_error(doing: &str, e: &keyring::Error) -> Error {
    use keyring::Error as K;
    let why = match e {
        K::PlatformFailure(err) => err.to_string(),
        K::NoStorageAccess(err) => format!("the keyring is locked or refused access ({err})"),
        K::NoEntry => "no token stored".into(),
        K::BadEncoding(_) | K::BadDataFormat(..) => "the stored token is not valid text".into(),
        K::Ambiguous(items) => format!(
            "{} tokens match; delete them and sign in again",
            items.len()
        ),
        K::NoDefaultStore => "no keyring".into(),
        K::Invalid(what, why) if what == "platform" => {
            format!("no system keyring on this platform ({why})")
        }
        other => other.to_string(),
    };
    Error::Auth(format!(
        "cannot {doing}: {why} (set {TOKEN_ENV} to bypass the keyring)"
    ))
}

impl TokenStore for KeyringTokens {
    fn get(&self) -> Result<Option<Secret>> {
        match self.entry()?.get_password() {
            Ok(token) => Ok(Secret::new(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error("read the token from the keyring", &e)),
        }
    }

    fn set(&self, token: &Secret) -> Result<()> {
        self.entry()?
            .set_password(token.expose())
            .map_err(|e| keyring_error("store the token in the keyring", &e))
    }

    fn delete(&self) -> Result<bool> {
        match self.entry()?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error("delete the token from the keyring", &e)),
        }
    }
}

/// What the engine asks for a token: `ROLLBOOK_TOKEN` when set, else the store; each call on the
/// blocking pool under a timeout.
#[derive(Clone)]
pub struct TokenSource {
    env: Option<Secret>,
    store: Arc<dyn TokenStore>,
    timeout: Duration,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("from_env", &self.env.is_some())
            .finish()
    }
}

impl TokenSource {
    /// `store` only, ignoring the environment (tests).
    pub fn new(store: Arc<dyn TokenStore>) -> TokenSource {
        TokenSource {
            env: None,
            store,
            timeout: KEYRING_TIMEOUT,
        }
    }

    /// The token of the configured API as every sync, pull and report reads it:
    /// `ROLLBOOK_TOKEN` if set and not empty, else the OS keyring's entry for that API.
    pub fn for_api(config: &ApiConfig) -> TokenSource {
        TokenSource::from_env(Arc::new(KeyringTokens::system(config.base_url.as_str())))
    }

    /// The OS keyring's entry for the configured API alone (the environment ignored): where
    /// signing in writes the token and signing out deletes it.
    pub fn keyring_of(config: &ApiConfig) -> TokenSource {
        TokenSource::new(Arc::new(KeyringTokens::system(config.base_url.as_str())))
    }

    /// `ROLLBOOK_TOKEN` if set and not empty, else `store`.
    pub fn from_env(store: Arc<dyn TokenStore>) -> TokenSource {
        Self::with_env(store, &std::env::vars().collect())
    }

    /// As [`Self::from_env`] over a given environment.
    pub fn with_env(store: Arc<dyn TokenStore>, env: &HashMap<String, String>) -> TokenSource {
        let env = env.get(TOKEN_ENV).and_then(|v| Secret::new(v.clone()));
        TokenSource {
            env,
            store,
            timeout: KEYRING_TIMEOUT,
        }
    }

    /// A token held in memory only (tests, benches, demo mode).
    pub fn fixed(token: &str) -> TokenSource {
        TokenSource::new(Arc::new(MemoryTokens::new(Secret::new(token))))
    }

    pub fn with_timeout(mut self, timeout: Duration) -> TokenSource {
        self.timeout = timeout;
        self
    }

    /// Whether `ROLLBOOK_TOKEN` overrides the store.
    pub fn from_environment(&self) -> bool {
        self.env.is_some()
    }

    pub async fn get(&self) -> Result<Option<Secret>> {
        if let Some(token) = &self.env {
            return Ok(Some(token.clone()));
        }
        let store = self.store.clone();
        self.blocking(move || store.get()).await
    }

    pub async fn set(&self, token: Secret) -> Result<()> {
        let store = self.store.clone();
        self.blocking(move || store.set(&token)).await
    }

    pub async fn delete(&self) -> Result<bool> {
        let store = self.store.clone();
        self.blocking(move || store.delete()).await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let task = tokio::task::spawn_blocking(f);
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Error::Auth("the keyring call failed unexpectedly".into())),
            Err(_) => Err(Error::Auth(format!(
                "the system keyring did not answer within {} s (is a Secret Service running in \
                 this session?); set {TOKEN_ENV} to bypass it",
                self.timeout.as_secs()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keyring entries in memory, keyed by (service, user), with the keyring's own errors: a
    /// stand-in for the OS keyring (never touched by unit tests).
    static FAKE_KEYRING: Mutex<Option<HashMap<(String, String), String>>> = Mutex::new(None);

    struct FakeCredential(String, String);

    fn fake_keyring() -> std::sync::MutexGuard<'static, Option<HashMap<(String, String), String>>> {
        FAKE_KEYRING.lock().unwrap_or_else(|p| p.into_inner())
    }

    impl Credential for FakeCredential {
        fn get_password(&self) -> keyring::Result<String> {
            let key = (self.0.clone(), self.1.clone());
            let keyring = fake_keyring();
            let found = keyring.as_ref().and_then(|k| k.get(&key)).cloned();
            found.ok_or(keyring::Error::NoEntry)
        }
        fn set_password(&self, password: &str) -> keyring::Result<()> {
            let key = (self.0.clone(), self.1.clone());
            let mut keyring = fake_keyring();
            keyring
                .get_or_insert_with(HashMap::new)
                .insert(key, password.into());
            Ok(())
        }
        fn delete_credential(&self) -> keyring::Result<()> {
            let key = (self.0.clone(), self.1.clone());
            let mut keyring = fake_keyring();
            let removed = keyring.as_mut().and_then(|k| k.remove(&key));
            removed.map(|_| ()).ok_or(keyring::Error::NoEntry)
        }
    }

    fn fake(user: &str) -> KeyringTokens {
        KeyringTokens {
            open: |service, user| Ok(Box::new(FakeCredential(service.into(), user.into()))),
            user: user.into(),
        }
    }

    /// A keyring that is there but locked: every call is refused.
    struct Locked;

    impl Credential for Locked {
        fn get_password(&self) -> keyring::Result<String> {
            Err(locked())
        }
        fn set_password(&self, _: &str) -> keyring::Result<()> {
            Err(locked())
        }
        fn delete_credential(&self) -> keyring::Result<()> {
            Err(locked())
        }
    }

    fn locked() -> keyring::Error {
        keyring::Error::NoStorageAccess("Secret Service: no result found".into())
    }

    #[test]
    fn keyring_round_trip() {
        let k = fake("https://api.athena-erp.com");
        let other = fake("http://127.0.0.1:8080");
        assert!(k.get().unwrap().is_none());
        k.set(&Secret::new("t1").unwrap()).unwrap();
        assert_eq!(k.get().unwrap().unwrap().expose(), "t1");
        k.set(&Secret::new("t2").unwrap()).unwrap();
        assert_eq!(k.get().unwrap().unwrap().expose(), "t2", "set replaces");
        assert!(other.get().unwrap().is_none(), "one entry per API");
        assert!(k.delete().unwrap());
        assert!(!k.delete().unwrap());
        assert!(k.get().unwrap().is_none());
    }

    #[test]
    fn a_locked_keyring_says_so_and_how_to_do_without() {
        let k = KeyringTokens {
            open: |_, _| Ok(Box::new(Locked)),
            user: "https://api.athena-erp.com".into(),
        };
        let err = k.set(&Secret::new("t1").unwrap()).unwrap_err();
        assert_eq!(err.code(), "auth");
        assert_eq!(
            err.to_string(),
            "cannot store the token in the keyring: the keyring is locked or refused access \
             (Secret Service: no result found) (set ROLLBOOK_TOKEN to bypass the keyring)"
        );
        let err = k.get().unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read the token from the keyring: "),
            "{err}"
        );
        let err = k.delete().unwrap_err().to_string();
        assert!(
            err.starts_with("cannot delete the token from the keyring: "),
            "{err}"
        );
    }

    #[test]
    fn a_missing_keyring_says_which_and_how_to_do_without() {
        let k = KeyringTokens {
            open: |_, _| {
                Err(keyring_error(
                    &format!("connect to the {KEYRING_NAME}"),
                    &keyring::Error::PlatformFailure("no session bus".into()),
                ))
            },
            user: "https://api.athena-erp.com".into(),
        };
        let err = k.get().unwrap_err();
        assert_eq!(err.code(), "auth");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot connect to the {KEYRING_NAME}: no session bus (set ROLLBOOK_TOKEN to \
                 bypass the keyring)"
            )
        );
        let secret = "tok-4f2a9c";
        let err = keyring_error(
            "read",
            &keyring::Error::BadEncoding(secret.as_bytes().to_vec()),
        );
        assert!(
            !err.to_string().contains(secret),
            "the stored bytes are never quoted: {err}"
        );
    }

    #[tokio::test]
    async fn env_overrides_the_store() {
        let store = Arc::new(MemoryTokens::new(Secret::new("from-keyring")));
        let env = HashMap::from([(TOKEN_ENV.to_string(), "from-env\n".to_string())]);
        let source = TokenSource::with_env(store.clone(), &env);
        assert_eq!(source.get().await.unwrap().unwrap().expose(), "from-env");
        assert!(source.from_environment());
        let empty = HashMap::from([(TOKEN_ENV.to_string(), String::new())]);
        let source = TokenSource::with_env(store, &empty);
        assert_eq!(
            source.get().await.unwrap().unwrap().expose(),
            "from-keyring"
        );
    }

    struct Hangs;
    impl TokenStore for Hangs {
        fn get(&self) -> Result<Option<Secret>> {
            std::thread::sleep(Duration::from_millis(300));
            Ok(None)
        }
        fn set(&self, _: &Secret) -> Result<()> {
            Ok(())
        }
        fn delete(&self) -> Result<bool> {
            Ok(false)
        }
    }

    #[tokio::test]
    async fn a_hanging_keyring_times_out() {
        let source = TokenSource::new(Arc::new(Hangs)).with_timeout(Duration::from_millis(50));
        let err = source.get().await.unwrap_err();
        assert_eq!(err.code(), "auth");
        assert!(err.to_string().contains(TOKEN_ENV), "{err}");
    }
}
