//! athena-sim on 127.0.0.1:0, for the tests that talk to a server, with a [`Cli`] pointed at it.
//! Needs `support::cli`.

use std::future::Future;

use athena_sim::{Sim, SimBuilder};

use super::cli::{mark_args, Cli};

/// A running simulator, the runtime that serves it, and a data directory holding its sample
/// school's roster.
pub struct Rig {
    rt: tokio::runtime::Runtime,
    pub sim: Sim,
    /// Every run gets the sim's address and the token given to [`Rig::new`].
    pub cli: Cli,
}

impl Rig {
    /// Starts `sim` (built with a sample school) and imports the school's roster; every run of
    /// the binary gets `token` as `ROLLBOOK_TOKEN`.
    pub fn new(sim: SimBuilder, token: &'static str) -> Rig {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = rt.block_on(sim.start()).expect("sim starts");
        let cli = Cli {
            api_url: sim.base_url(),
            token: Some(token),
            ..Cli::new()
        };
        let roster = cli.write("roster.csv", sim.sample().expect("sample").roster_csv());
        cli.ok(&["roster", "import", roster.to_str().expect("utf-8 path")]);
        Rig { rt, sim, cli }
    }

    /// A sample school of three offerings, none of their marks on the server yet, and `token`
    /// allowed to record attendance and to read it and the students.
    #[allow(dead_code)] // only sync.rs and garbage.rs: the others need another school or token
    pub fn small_school(token: &'static str) -> Rig {
        Rig::new(
            Sim::builder().sample_school(3).empty_store().token(
                token,
                &["write:attendance", "read:attendance", "read:students"],
            ),
            token,
        )
    }

    /// Runs `future` on the runtime that serves the sim.
    #[allow(dead_code)] // only crash.rs waits on the sim itself
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }
}

/// Marks of the sample school's students, named by position.
#[allow(dead_code)] // report.rs and crash.rs choose their students another way
impl Rig {
    /// (offering, student): the `student`th enrolled in the `offering`th offering.
    pub fn pick(&self, offering: usize, student: usize) -> (String, String) {
        let o = &self.sim.offerings()[offering];
        let e = self.sim.sample().expect("sample").enrollments_of(o.id)[student];
        (o.id.to_string(), e.student_id.to_string())
    }

    /// Marks that student on `date` with `status`, through the binary.
    pub fn mark(&self, offering: usize, student: usize, date: &str, status: &str) {
        let (o, s) = self.pick(offering, student);
        self.cli.ok(&mark_args(&o, &s, date, status));
    }
}
