//! Writing exports to disk, for the CLI and the desktop app alike: one file, or a set of chart
//! files into a directory, all or none.
//!
//! A chart set is rendered and written into a temporary directory beside the destination, then
//! moved into place: a new destination is the temporary directory renamed (one step); an
//! existing directory receives each file by a rename (same file system), after every chart was
//! rendered and written. A failure before that leaves nothing behind, not half a set. A path of
//! the wrong kind (a file where a directory is wanted, or the reverse) is the user's to fix and
//! is named with what is wrong.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rollbook_core::Error;

use crate::{svg_to_png, Chart, ReportError};

/// PNG pixels per SVG unit: sharp on high-density screens and in print.
pub const PNG_SCALE: f32 = 2.0;

/// How the charts of a set are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    Png,
}

impl ChartFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }
}

/// Writes `bytes` to `path`, creating its parent directories; a directory at `path` is refused.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    if path.is_dir() {
        return Err(Error::Invalid(format!(
            "cannot write {}: it is a directory, not a file; give a file name",
            path.display()
        ))
        .into());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        make_dir(parent)?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    Ok(())
}

/// Writes each chart as `<name>.svg` or `<name>.png` into `dir` (created if needed), all or
/// none (see the module docs). Files of `dir` with other names are left as they are.
pub fn write_charts(
    dir: &Path,
    charts: &[(&str, &Chart)],
    format: ChartFormat,
) -> Result<(), ReportError> {
    if dir.exists() && !dir.is_dir() {
        return Err(not_a_directory(dir).into());
    }
    let parent = match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => parent.to_path_buf(),
        None => PathBuf::from("."),
    };
    make_dir(&parent)?;
    let staging = Staging::create(&parent, dir)?;
    for (name, chart) in charts {
        let file = staging.0.join(format!("{name}.{}", format.extension()));
        let bytes = match format {
            ChartFormat::Svg => chart.svg.clone().into_bytes(),
            ChartFormat::Png => svg_to_png(&chart.svg, PNG_SCALE)?,
        };
        std::fs::write(&file, bytes)
            .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
    }
    staging.move_into(dir)
}

fn not_a_directory(dir: &Path) -> Error {
    Error::Invalid(format!(
        "cannot write the charts into {}: it is a file, not a directory",
        dir.display()
    ))
}

fn make_dir(dir: &Path) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Invalid(format!(
            "cannot create the directory {}: it is a file",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create the directory {}", dir.display()), e))
}

/// A temporary directory beside the destination, removed unless moved into place.
struct Staging(PathBuf);

impl Staging {
    fn create(parent: &Path, dest: &Path) -> Result<Staging, Error> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "charts".into());
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = parent.join(format!(".{name}.partial-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Staging(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::io(
                        format!("cannot create a directory in {}", parent.display()),
                        e,
                    ))
                }
            }
        }
    }

    fn move_into(self, dest: &Path) -> Result<(), ReportError> {
        let moved = |e| Error::io(format!("cannot move the charts into {}", dest.display()), e);
        if !dest.exists() {
            return std::fs::rename(&self.0, dest).map_err(|e| moved(e).into());
        }
        if !dest.is_dir() {
            return Err(not_a_directory(dest).into());
        }
        for entry in std::fs::read_dir(&self.0).map_err(moved)? {
            let entry = entry.map_err(moved)?;
            std::fs::rename(entry.path(), dest.join(entry.file_name())).map_err(moved)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Gone already when it was renamed into place.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
