//! Where Rollbook keeps its data: `--data-dir`, else `ROLLBOOK_DATA_DIR`, else the platform's
//! data directory with the app identifier: `$XDG_DATA_HOME/org.rollbook.app` (default
//! `~/.local/share/org.rollbook.app`) on Linux and other Unix systems,
//! `%LOCALAPPDATA%\org.rollbook.app` on Windows (the database stays on this computer: not in the
//! roaming profile), `~/Library/Application Support/org.rollbook.app` on macOS. The desktop app
//! and the CLI share it.

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
    Ok(platform_data_dir()?.join(IDENTIFIER))
}

/// A non-empty environment variable, as a path.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

#[cfg(not(any(windows, target_os = "macos")))]
fn platform_data_dir() -> Result<PathBuf> {
    match env_path("XDG_DATA_HOME") {
        Some(d) => Ok(d),
        None => match env_path("HOME") {
            Some(h) => Ok(h.join(".local/share")),
            None => Err(Error::Invalid(
                "cannot find a data directory: set ROLLBOOK_DATA_DIR or HOME".into(),
            )),
        },
    }
}

#[cfg(windows)]
fn platform_data_dir() -> Result<PathBuf> {
    env_path("LOCALAPPDATA")
        .or_else(|| env_path("USERPROFILE").map(|home| home.join("AppData").join("Local")))
        .ok_or_else(|| {
            Error::Invalid(
                "cannot find a data directory: set ROLLBOOK_DATA_DIR or LOCALAPPDATA".into(),
            )
        })
}

#[cfg(target_os = "macos")]
fn platform_data_dir() -> Result<PathBuf> {
    env_path("HOME")
        .map(|home| home.join("Library").join("Application Support"))
        .ok_or_else(|| {
            Error::Invalid("cannot find a data directory: set ROLLBOOK_DATA_DIR or HOME".into())
        })
}

/// Creates the data directory if needed, keeps it private and checks that it can be written.
///
/// On Unix, permission bits for the group and for others are removed (a new directory is 0700);
/// the owner's own bits are left alone, so a directory made read-only on purpose stays so and is
/// reported as such rather than silently made writable again. On Windows the directory keeps the
/// access list it inherits from the user's own profile folder (private to the user), and it is
/// checked by writing a probe file in it.
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
    #[cfg(not(unix))]
    {
        let probe = dir.join(".rollbook-write-check");
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| {
                Error::io(
                    format!(
                        "the data directory {} cannot be written, so no mark can be saved until \
                         it can (what is already saved there is untouched)",
                        dir.display()
                    ),
                    e,
                )
            })?;
    }
    Ok(())
}
