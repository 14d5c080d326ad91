//! One engine per database: the desktop app and the CLI share a data directory, and two engines
//! would each see the other's in-flight items as "left sending by a crash". An exclusive
//! advisory lock on `<db>.sync-lock` (released by the OS if the process dies) prevents that.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug)]
pub struct EngineLock {
    _file: File,
}

impl EngineLock {
    /// Takes the lock for the database at `db`, or fails at once if another engine holds it.
    pub fn acquire(db: &Path) -> Result<EngineLock> {
        let mut name = db.as_os_str().to_owned();
        name.push(".sync-lock");
        let path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        lock(&file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::WouldBlock {
                Error::io(
                    format!(
                        "another Rollbook process (the desktop app, or another `rollbook-cli \
                         sync`) is syncing {}; let it finish or close it",
                        db.display()
                    ),
                    e,
                )
            } else {
                Error::io(format!("cannot lock {}", path.display()), e)
            }
        })?;
        Ok(EngineLock { _file: file })
    }
}

/// Unix (Linux, macOS): `flock`, exclusive and failing at once.
#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<()> {
    use rustix::fs::{flock, FlockOperation};
    flock(file, FlockOperation::NonBlockingLockExclusive).map_err(std::io::Error::from)
}

/// Windows: `LockFileEx`, exclusive and failing at once, through the standard library.
#[cfg(not(unix))]
fn lock(file: &File) -> std::io::Result<()> {
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => std::io::ErrorKind::WouldBlock.into(),
        std::fs::TryLockError::Error(e) => e,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_engine_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("rollbook.db");
        let first = EngineLock::acquire(&db).unwrap();
        let err = EngineLock::acquire(&db).unwrap_err();
        assert!(
            err.to_string().contains("another Rollbook process"),
            "{err}"
        );
        drop(first);
        EngineLock::acquire(&db).unwrap();
    }
}
