//! The command line of the desktop app: `rollbook [--demo] [--data-dir DIR]`.

use std::ffi::OsString;
use std::path::PathBuf;

use rollbook_core::paths;

/// The demo's data directory, inside the default one.
pub const DEMO_DIR: &str = "demo";

/// `rollbook --help`, naming the platform's default data directory.
macro_rules! usage {
    ($default_dir:literal) => {
        concat!(
            "\
usage: rollbook [--demo] [--data-dir DIR]

  --demo           demo mode: a built-in sample school server on this computer, its roster
                   imported and a demo token, in a data directory of its own (default: the
                   data directory below + /demo); never the keyring or your school's data
  --data-dir DIR   where Rollbook keeps its database (default: $ROLLBOOK_DATA_DIR,
                   else ",
            $default_dir,
            "); shared with rollbook-cli
  -h, --help       print this help"
        )
    };
}

#[cfg(not(any(windows, target_os = "macos")))]
pub const USAGE: &str = usage!("$XDG_DATA_HOME/org.rollbook.app");
#[cfg(windows)]
pub const USAGE: &str = usage!("%LOCALAPPDATA%\\org.rollbook.app");
#[cfg(target_os = "macos")]
pub const USAGE: &str = usage!("~/Library/Application Support/org.rollbook.app");

/// What the app was asked to do at launch.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Launch {
    pub data_dir: Option<PathBuf>,
    pub demo: bool,
    pub help: bool,
}

impl Launch {
    /// Parses the arguments after the program name; the error names the bad argument.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Launch, String> {
        let mut launch = Launch::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg.to_string_lossy();
            if text == "--data-dir" {
                let dir = args.next().ok_or("--data-dir needs a directory")?;
                launch.data_dir = Some(PathBuf::from(dir));
            } else if let Some(dir) = text.strip_prefix("--data-dir=") {
                launch.data_dir = Some(PathBuf::from(dir));
            } else if text == "--demo" {
                launch.demo = true;
            } else if text == "-h" || text == "--help" {
                launch.help = true;
            } else {
                return Err(format!("unexpected argument {text:?}"));
            }
        }
        match &launch.data_dir {
            Some(dir) if dir.as_os_str().is_empty() => Err("--data-dir is empty".into()),
            _ => Ok(launch),
        }
    }

    /// `--data-dir`, else `ROLLBOOK_DATA_DIR`, else the platform's default; in demo mode without
    /// `--data-dir`, the `demo` directory inside that default.
    pub fn data_dir(&self) -> rollbook_core::Result<PathBuf> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None if self.demo => Ok(paths::default_data_dir()?.join(DEMO_DIR)),
            None => paths::default_data_dir(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Launch, String> {
        Launch::parse(args.iter().map(OsString::from))
    }

    #[test]
    fn data_dir_in_both_spellings() {
        let expected = Some(PathBuf::from("/tmp/rb"));
        assert_eq!(
            parse(&["--data-dir", "/tmp/rb"]).unwrap().data_dir,
            expected
        );
        assert_eq!(parse(&["--data-dir=/tmp/rb"]).unwrap().data_dir, expected);
        assert_eq!(parse(&[]).unwrap(), Launch::default());
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(parse(&["--data-dir"])
            .unwrap_err()
            .contains("needs a directory"));
        assert!(parse(&["--data-dir="]).unwrap_err().contains("empty"));
        assert!(parse(&["--frobnicate"])
            .unwrap_err()
            .contains("--frobnicate"));
    }

    #[test]
    fn demo_mode_keeps_its_own_data() {
        let demo = parse(&["--demo"]).unwrap();
        assert!(demo.demo);
        let dir = demo.data_dir().unwrap();
        assert_eq!(dir, paths::default_data_dir().unwrap().join("demo"));
        let chosen = parse(&["--data-dir", "/x", "--demo"]).unwrap();
        assert_eq!(chosen.data_dir().unwrap(), PathBuf::from("/x"));
        assert!(
            !parse(&[]).unwrap().demo,
            "a plain launch opens the user's own data"
        );
    }

    #[test]
    fn the_flag_is_the_data_dir() {
        let launch = parse(&["--data-dir", "/x"]).unwrap();
        assert_eq!(launch.data_dir().unwrap(), PathBuf::from("/x"));
    }
}
