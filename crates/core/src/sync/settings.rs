//! The connection settings a user edits (the API base URL and the school id), checked before
//! anything is stored: an `https://` URL (or `http://` to this computer), a school id that is a
//! UUID. The token is not a setting: it lives in the keyring ([`super::tokens`]).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::Id;
use crate::store::{Store, Writes};
use crate::sync::api::{BaseUrl, SETTING_API_URL, SETTING_SCHOOL_ID};
use crate::sync::queue::atomically;
use crate::sync::status::QueueState;

/// The stored connection settings, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiSettings {
    pub api_url: String,
    pub school_id: Option<Id>,
}

/// Checks and stores both settings in one transaction; nothing is stored if either is wrong.
/// An empty (or blank) school id clears it.
pub fn save_api_settings(
    store: &Store,
    api_url: &str,
    school_id: Option<&str>,
) -> Result<ApiSettings> {
    let url = BaseUrl::parse(api_url)?;
    let school_id = match school_id.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            Some(Id::parse(raw).map_err(|e| Error::Invalid(format!("the school id: {e}")))?)
        }
        None => None,
    };
    atomically(store.conn(), Writes::Local, |_| {
        store.set_setting(SETTING_API_URL, Some(url.as_str()))?;
        store.set_setting(SETTING_SCHOOL_ID, school_id.as_ref().map(Id::as_str))?;
        // Whatever changed, the next pass finds out again whether a school id is needed.
        QueueState::clear_school_block(store).map(|_| ())
    })?;
    Ok(ApiSettings {
        api_url: url.as_str().to_string(),
        school_id,
    })
}
