//! Where Rollbook keeps its data: `--data-dir`, else `ROLLBOOK_DATA_DIR`, else
//! `$XDG_DATA_HOME/org.rollbook.app` (default `~/.local/share/org.rollbook.app`). The desktop
//! app and the CLI share it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The app identifier, also the name of the data directory.
pub const IDENTIFIER: &str = "org.rollbook.app";
/// The database file inside the data directory.
pub const DB_FILE: &str = "rollbook.db";

pub fn default_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("ROLLBOOK_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local/share"),
            None => {
                return Err(Error::Invalid(
                    "cannot find a data directory: set ROLLBOOK_DATA_DIR or HOME".into(),
                ))
            }
        },
    };
    Ok(base.join(IDENTIFIER))
}

/// Creates the data directory (mode 0700 on Unix) if needed.
pub fn ensure_data_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create data directory {}", dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("cannot set permissions of {}", dir.display()), e))?;
    }
    Ok(())
}
