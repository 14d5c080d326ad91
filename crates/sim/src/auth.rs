//! Bearer-token authentication and scope checks.
//!
//! Contract: `Authorization: Bearer <token>`; a missing or unknown token is 401. Each endpoint
//! needs one of a set of scopes (403 otherwise). A token that belongs to several schools must send
//! `X-School-Id` naming one of them (400 without it); a token of one school may omit it; a school
//! the token does not belong to is 403. Tokens are never logged.

use std::collections::HashMap;
use std::fmt;

use axum::http::HeaderMap;
use uuid::Uuid;

use crate::model::parse_uuid;

/// Every scope the vendor documents for these endpoints.
pub const ALL_SCOPES: [&str; 6] = [
    "write:attendance",
    "read:attendance",
    "read:students",
    "read:own_students",
    "write:all",
    "read:all",
];

/// Scopes that allow `POST /academic/attendance`.
pub const CREATE_ATTENDANCE: &[&str] = &["write:attendance", "write:all"];
/// Scopes that allow `GET /academic/attendance`.
pub const LIST_ATTENDANCE: &[&str] = &["read:attendance", "read:all"];
/// Scopes that allow `GET /students/{id}`.
pub const READ_STUDENT: &[&str] = &["read:students", "read:own_students", "read:all"];

/// What a registered token may do.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// Granted scopes, e.g. `write:attendance`.
    pub scopes: Vec<String>,
    /// Schools the token belongs to; empty means "the sim's default school".
    pub schools: Vec<Uuid>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGrant")
            .field("scopes", &self.scopes)
            .field("schools", &self.schools)
            .finish()
    }
}

/// A grant of these scopes in these schools (empty: the default school).
pub(crate) fn grant(scopes: &[&str], schools: &[Uuid]) -> TokenGrant {
    TokenGrant {
        scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
        schools: schools.to_vec(),
    }
}

/// Why a request was refused before reaching its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// 401: no bearer token, or an unknown one.
    Unauthorized,
    /// 403: the token lacks every accepted scope, or names a school it is not in.
    Forbidden(String),
    /// 400: several schools and no (or a malformed) `X-School-Id`.
    BadRequest(String),
}

/// The registered tokens. Keys are secrets: this type's Debug prints only the count.
#[derive(Default)]
pub(crate) struct Tokens {
    grants: HashMap<String, TokenGrant>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokens({} registered)", self.grants.len())
    }
}

impl Tokens {
    pub(crate) fn insert(&mut self, token: String, grant: TokenGrant) {
        self.grants.insert(token, grant);
    }

    pub(crate) fn remove(&mut self, token: &str) -> bool {
        self.grants.remove(token).is_some()
    }

    /// Checks the request's token, scopes and school; returns the effective school id.
    pub(crate) fn authorize(
        &self,
        headers: &HeaderMap,
        accepted_scopes: &[&str],
        default_school: Uuid,
    ) -> Result<Uuid, AuthError> {
        let token = bearer_token(headers).ok_or(AuthError::Unauthorized)?;
        let grant = self.grants.get(token).ok_or(AuthError::Unauthorized)?;
        if !grant
            .scopes
            .iter()
            .any(|s| accepted_scopes.contains(&s.as_str()))
        {
            return Err(AuthError::Forbidden(format!(
                "this endpoint requires one of the scopes: {}",
                accepted_scopes.join(", ")
            )));
        }
        let schools: &[Uuid] = if grant.schools.is_empty() {
            &[default_school]
        } else {
            &grant.schools
        };
        let requested = match headers.get("x-school-id") {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|s| parse_uuid(s.trim()))
                    .ok_or_else(|| AuthError::BadRequest("X-School-Id must be a UUID".into()))?,
            ),
        };
        match (requested, schools) {
            (Some(id), _) if schools.contains(&id) => Ok(id),
            (Some(_), _) => Err(AuthError::Forbidden(
                "the token does not belong to that school".into(),
            )),
            (None, [only]) => Ok(*only),
            (None, _) => Err(AuthError::BadRequest(
                "the token belongs to several schools: send X-School-Id".into(),
            )),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn school_selection_rules() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let mut tokens = Tokens::default();
        let scopes = vec!["read:all".to_string()];
        tokens.insert(
            "one".into(),
            TokenGrant {
                scopes: scopes.clone(),
                schools: vec![],
            },
        );
        tokens.insert(
            "two".into(),
            TokenGrant {
                scopes,
                schools: vec![a, b],
            },
        );
        let auth =
            |pairs: &[(&'static str, &str)]| tokens.authorize(&headers(pairs), LIST_ATTENDANCE, a);
        assert_eq!(auth(&[("authorization", "Bearer one")]), Ok(a));
        assert_eq!(auth(&[]), Err(AuthError::Unauthorized));
        assert_eq!(
            auth(&[("authorization", "Bearer nope")]),
            Err(AuthError::Unauthorized)
        );
        assert!(matches!(
            auth(&[("authorization", "Bearer two")]),
            Err(AuthError::BadRequest(_))
        ));
        let b_str = b.to_string();
        assert_eq!(
            auth(&[("authorization", "Bearer two"), ("x-school-id", &b_str)]),
            Ok(b)
        );
        let other = Uuid::from_u128(3).to_string();
        assert!(matches!(
            auth(&[("authorization", "Bearer one"), ("x-school-id", &other)]),
            Err(AuthError::Forbidden(_))
        ));
        assert!(matches!(
            tokens.authorize(
                &headers(&[("authorization", "Bearer one")]),
                CREATE_ATTENDANCE,
                a
            ),
            Err(AuthError::Forbidden(_))
        ));
    }
}
