//! On Windows, `rollbook-cli.exe` carries version information (what Explorer's Properties and
//! a signing tool read), written from the package's version. Elsewhere this does nothing.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let version = env("CARGO_PKG_VERSION");
    let numbers: Vec<u32> = version
        .split(['.', '-', '+'])
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    let (major, minor, patch) = (numbers[0], numbers[1], numbers[2]);
    let description = env("CARGO_PKG_DESCRIPTION");
    let rc = format!(
        r#"#include <winver.h>
1 VERSIONINFO
FILEVERSION {major},{minor},{patch},0
PRODUCTVERSION {major},{minor},{patch},0
FILEOS VOS_NT_WINDOWS32
FILETYPE VFT_APP
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "Rollbook"
      VALUE "FileDescription", "{description}"
      VALUE "FileVersion", "{version}"
      VALUE "InternalName", "rollbook-cli"
      VALUE "LegalCopyright", "Rollbook, MIT licence"
      VALUE "OriginalFilename", "rollbook-cli.exe"
      VALUE "ProductName", "Rollbook"
      VALUE "ProductVersion", "{version}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"#
    );
    let path = PathBuf::from(env("OUT_DIR")).join("rollbook-cli.rc");
    if let Err(e) = std::fs::write(&path, rc) {
        panic!("cannot write {}: {e}", path.display());
    }
    if let Err(e) = embed_resource::compile(&path, embed_resource::NONE).manifest_required() {
        panic!(
            "cannot compile the version resource {}: {e:?}",
            path.display()
        );
    }
}

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_default()
}
