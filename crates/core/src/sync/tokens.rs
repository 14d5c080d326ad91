//! Where the API token lives: the OS keyring (Secret Service over D-Bus on Linux), with
//! `ROLLBOOK_TOKEN` overriding it for automation. Never SQLite, never a log line.
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

/// The OS keyring through `keyring-core`.
pub struct KeyringTokens {
    store: Mutex<Option<Arc<keyring_core::CredentialStore>>>,
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
    /// The platform keyring (Secret Service on Linux), connected on first use, for the token of
    /// the API at `base_url`.
    pub fn system(base_url: &str) -> KeyringTokens {
        KeyringTokens {
            store: Mutex::new(None),
            user: base_url.to_string(),
        }
    }

    /// A given credential store (e.g. `keyring_core::mock::Store` in tests).
    pub fn with_store(store: Arc<keyring_core::CredentialStore>, base_url: &str) -> KeyringTokens {
        KeyringTokens {
            store: Mutex::new(Some(store)),
            user: base_url.to_string(),
        }
    }

    fn entry(&self) -> Result<keyring_core::Entry> {
        let mut slot = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let store = match slot.as_ref() {
            Some(store) => store.clone(),
            None => {
                let store = platform_store()?;
                *slot = Some(store.clone());
                store
            }
        };
        keyring_core::Entry::new_in_store(&store, KEYRING_SERVICE, &self.user)
            .map_err(|e| keyring_error("open the keyring entry", &e))
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<keyring_core::CredentialStore>> {
    let store = dbus_secret_service_keyring_store::Store::new()
        .map_err(|e| keyring_error("connect to the Secret Service keyring", &e))?;
    Ok(store)
}

#[cfg(not(target_os = "linux"))]
fn platform_store() -> Result<Arc<keyring_core::CredentialStore>> {
    Err(Error::Auth(format!(
        "no system keyring support on this platform: set {TOKEN_ENV} instead"
    )))
}

/// A keyring error in words, never with the secret's bytes (some variants carry them).
fn keyring_error(doing: &str, e: &keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    let why = match e {
        K::PlatformFailure(err) | K::NoStorageAccess(err) => err.to_string(),
        K::NoEntry => "no token stored".into(),
        K::BadEncoding(_) | K::BadDataFormat(..) => "the stored token is not valid text".into(),
        K::Ambiguous(items) => format!(
            "{} tokens match; delete them and sign in again",
            items.len()
        ),
        K::NoDefaultStore => "no keyring".into(),
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
            Err(keyring_core::Error::NoEntry) => Ok(None),
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
            Err(keyring_core::Error::NoEntry) => Ok(false),
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

    fn mock_keyring(user: &str) -> KeyringTokens {
        let store: Arc<keyring_core::CredentialStore> =
            keyring_core::mock::Store::new().expect("mock store");
        KeyringTokens::with_store(store, user)
    }

    #[test]
    fn keyring_round_trip() {
        let k = mock_keyring("https://api.athena-erp.com");
        assert!(k.get().unwrap().is_none());
        k.set(&Secret::new("t1").unwrap()).unwrap();
        assert_eq!(k.get().unwrap().unwrap().expose(), "t1");
        k.set(&Secret::new("t2").unwrap()).unwrap();
        assert_eq!(k.get().unwrap().unwrap().expose(), "t2", "set replaces");
        assert!(k.delete().unwrap());
        assert!(!k.delete().unwrap());
        assert!(k.get().unwrap().is_none());
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
