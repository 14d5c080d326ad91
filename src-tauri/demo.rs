//! Demo mode (`rollbook --demo`, what `make run` opens): the sample school's server (athena-sim)
//! on a loopback port of this computer, its roster imported into the demo's own data directory
//! on first use, and a demo token held in memory. Leaving it relaunches Rollbook on the user's
//! own data.

use std::sync::{Mutex, PoisonError};

use athena_sim::{Sim, ALL_SCOPES};
use rollbook_core::roster;
use rollbook_core::store::Store;
use rollbook_core::sync::save_api_settings;
use rollbook_core::{Error, Result};

/// The demo's token: known to the demo server only, held in memory, never in the keyring.
pub const DEMO_TOKEN: &str = "demo-token";
/// The sample school's seed: the same school on every launch.
pub const DEMO_SEED: u64 = 42;
/// The file name import history shows for the sample roster.
const ROSTER_FILE: &str = "sample-school.csv";
/// Past rolls of the sample school's last two weeks left untaken on its server.
const UNTAKEN_ROLLS: usize = 3;
/// When the front-desk kiosk posts today's late arrivals, after the demo starts.
const KIOSK_AFTER: std::time::Duration = std::time::Duration::from_secs(8);

/// The running demo server (stopped when dropped, i.e. when the app exits).
#[derive(Default)]
pub struct Demo {
    sim: Mutex<Option<Sim>>,
}

impl Demo {
    /// Starts the demo server on `rt` and points the demo data (`store`) at it: its URL is
    /// saved as the API URL on every start (the port changes), and the sample roster is
    /// imported when the demo data directory has no offerings yet.
    pub fn start(&self, store: &mut Store, rt: &tokio::runtime::Handle) -> Result<()> {
        let sim = Sim::builder()
            .sample_school(DEMO_SEED)
            .untaken_rolls(UNTAKEN_ROLLS)
            .token(DEMO_TOKEN, &ALL_SCOPES)
            .start_on(rt)
            .map_err(|e| Error::Remote(format!("cannot start the demo server: {e}")))?;
        save_api_settings(store, &sim.base_url(), None)?;
        if let (true, Some(school)) = (roster::offerings(store)?.is_empty(), sim.sample()) {
            roster::import_roster_csv(store, school.roster_csv().as_bytes(), ROSTER_FILE)?;
        }
        // The front desk's check-in kiosk: a few late arrivals in today's first classes, posted
        // straight to the server under its own teacher assignment, as a real kiosk does.
        let kiosk = sim.handle();
        rt.spawn(async move {
            tokio::time::sleep(KIOSK_AFTER).await;
            let Some(school) = kiosk.sample() else { return };
            for arrival in school.kiosk_arrivals(athena_sim::today_utc(), 2, 2) {
                kiosk.add_record(&arrival);
            }
        });
        *self.sim.lock().unwrap_or_else(PoisonError::into_inner) = Some(sim);
        Ok(())
    }

    /// The demo server's address, once started.
    pub fn base_url(&self) -> Option<String> {
        self.sim
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|sim| sim.base_url())
    }
}

/// Starts Rollbook again on the user's own data (no `--demo`, default data directory).
pub fn relaunch_without_demo() -> Result<()> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the Rollbook program to start again", e))?;
    std::process::Command::new(&exe)
        .spawn()
        .map_err(|e| Error::io(format!("cannot start {}", exe.display()), e))?;
    Ok(())
}
