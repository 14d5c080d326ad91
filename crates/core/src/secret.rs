//! The API token as a type that cannot leak by accident: its `Debug` and `Display` print
//! `<redacted>`, it has no `Serialize`, and its bytes are zeroed when it is dropped. The only way
//! to read it is [`Secret::expose`], used to build the `Authorization` header.

use std::fmt;

use zeroize::Zeroize;

/// A bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token, trimming surrounding whitespace (a pasted token often ends in a newline).
    /// `None` when nothing is left.
    pub fn new(token: impl Into<String>) -> Option<Secret> {
        let mut raw: String = token.into();
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            raw.zeroize();
            return None;
        }
        let secret = Secret(trimmed.to_string());
        raw.zeroize();
        Some(secret)
    }

    /// The token itself. Only for the `Authorization` header and the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short tag that tells two tokens apart without revealing either: 32 bits of a hash. It
    /// lets a persisted "blocked" state clear itself when a different token is in use.
    pub fn tag(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut h);
        format!("{:08x}", h.finish() as u32)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Checked when the tests compile: a `Secret` cannot be serialized (into IPC answers, JSON
    // output, logs or the database), nor read through a borrow that bypasses `expose`.
    static_assertions::assert_not_impl_any!(Secret: serde::Serialize);
    static_assertions::assert_not_impl_any!(Secret: std::ops::Deref, AsRef<str>);

    #[test]
    fn never_prints_the_token() {
        let s = Secret::new("eyJhbGciOi.secret-part\n").unwrap();
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(
            s.expose(),
            "eyJhbGciOi.secret-part",
            "trimmed for the header"
        );
    }

    #[test]
    fn empty_is_no_token() {
        assert!(Secret::new("  \n").is_none());
    }

    #[test]
    fn tag_tells_tokens_apart_without_showing_them() {
        let a = Secret::new("token-a").unwrap();
        let b = Secret::new("token-b").unwrap();
        assert_ne!(a.tag(), b.tag());
        assert_eq!(a.tag(), Secret::new("token-a").unwrap().tag());
        assert!(!a.tag().contains("token"));
        assert_eq!(a.tag().len(), 8);
    }
}
