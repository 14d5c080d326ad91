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

/// Creates the data directory if needed, keeps it private and checks that it can be written.
///
/// On Unix, permission bits for the group and for others are removed (a new directory is 0700);
/// the owner's own bits are left alone, so a directory made read-only on purpose stays so and is
/// reported as such rather than silently made writable again.
pub fn ensure_data_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create data directory {}", dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(|e| Error::io(format!("cannot read data directory {}", dir.display()), e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700)).map_err(
                |e| {
                    Error::io(
                        format!(
                            "cannot make the data directory {} private to its owner (mode 0700)",
                            dir.display()
                        ),
                        e,
                    )
                },
            )?;
        }
        rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).map_err(|errno| {
            Error::io(
                format!(
                    "the data directory {} cannot be written, so no mark can be saved until it \
                     can (what is already saved there is untouched)",
                    dir.display()
                ),
                errno.into(),
            )
        })?;
    }
    Ok(())
}
