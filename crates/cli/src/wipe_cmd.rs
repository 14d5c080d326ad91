//! `wipe`: deletes this device's Rollbook data (the database and its records file, with their
//! WAL and shared-memory files, and the sync lock) and the token saved for the configured API
//! URL. Asks to type the data directory's name on a terminal; scripts pass `--yes`; without a
//! terminal and without `--yes` it refuses (exit 2) and deletes nothing.

use crate::output::outln;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use rollbook_core::store::{self, Store};
use rollbook_core::sync::{self, ApiConfig, TokenSource};
use rollbook_core::{paths, Error, Result};

use crate::Ctx;

#[derive(Debug, Args)]
pub struct WipeArgs {
    /// Do not ask for confirmation (for scripts)
    #[arg(long)]
    pub yes: bool,
}

/// The database, its records file, and the files SQLite and the sync engine keep beside them.
fn database_files(dir: &Path) -> Vec<PathBuf> {
    let db = dir.join(paths::DB_FILE);
    let records = store::records_path(&db);
    let sqlite = ["", "-wal", "-shm", "-journal"];
    let of = |file: &Path, suffix: &str| PathBuf::from(format!("{}{suffix}", file.display()));
    let mut files: Vec<PathBuf> = sqlite.iter().map(|s| of(&db, s)).collect();
    files.extend(sqlite.iter().map(|s| of(&records, s)));
    files.push(of(&db, ".sync-lock"));
    files
}

pub fn run(ctx: &Ctx, a: WipeArgs) -> Result<()> {
    let dir = &ctx.data_dir;
    if !a.yes {
        confirm(dir)?;
    }
    // The API URL may be a setting in the database: read it before the database goes. A
    // database that cannot be opened (damaged, too new) is still wiped.
    let config = read_config(dir);

    let mut removed = 0;
    for file in database_files(dir) {
        match std::fs::remove_file(&file) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("cannot delete {}", file.display()), e)),
        }
    }
    // Leaves the directory if something else lives there.
    let _ = std::fs::remove_dir(dir);
    if removed == 0 {
        outln!("No Rollbook data in {}.", dir.display());
    } else {
        outln!("Deleted the Rollbook data in {}.", dir.display());
    }

    let config = config?;
    let tokens = TokenSource::keyring_of(&config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    match runtime.block_on(sync::sign_out(&tokens)) {
        Ok(true) => outln!("Deleted the token saved for {}.", config.base_url),
        Ok(false) => outln!("No token was saved for {}.", config.base_url),
        Err(e) => {
            return Err(Error::Remote(format!(
                "the local data was deleted, but the token saved for {} could not be: {e}",
                config.base_url
            )))
        }
    }
    Ok(())
}

fn read_config(dir: &Path) -> Result<ApiConfig> {
    let db = dir.join(paths::DB_FILE);
    if db.exists() {
        if let Ok(store) = Store::open(&db) {
            if let Ok(config) = ApiConfig::resolve(&store) {
                return Ok(config);
            }
        }
    }
    // No readable database: the environment or the default URL.
    ApiConfig::resolve(&Store::open_in_memory()?)
}

fn confirm(dir: &Path) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Invalid(
            "wipe deletes all local data: pass --yes to confirm when standard input is not a \
             terminal"
                .into(),
        ));
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    eprint!(
        "This deletes every mark, roster and unsent change in {} and the saved token.\n\
         Type the data directory name ({name}) to confirm: ",
        dir.display()
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::io("cannot read the confirmation", e))?;
    if line.trim() != name {
        return Err(Error::Invalid("not confirmed: nothing was deleted".into()));
    }
    Ok(())
}
