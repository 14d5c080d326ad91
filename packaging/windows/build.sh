#!/bin/bash
# `make windows`: Rollbook for Windows x64, built on this Debian machine: rollbook.exe (the
# window, serving the embedded ui/dist), rollbook-cli.exe, and the installer written in
# packaging/windows/rollbook.nsi, all in target/windows/dist.
#
# The cross toolchain is Debian's: rustc-web/cargo-web (a second Rust with the standard library's
# sources, which -Zbuild-std compiles for the target; the usual toolchain stays first on PATH, so
# these are called by full path) and the mingw-w64 posix-threads cross compilers for the C parts
# (SQLite, ring, the Windows resources). The Makefile installs them.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
target=x86_64-pc-windows-gnu
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
publisher=Rollbook

export CARGO_TARGET_DIR="$root/target/windows"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc-posix
export CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++-posix
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
export RC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-windres
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc-posix

cd "$root"
/usr/bin/cargo build -Zbuild-std=std,panic_abort --target "$target" --release \
	-p rollbook-cli -p rollbook --features tauri/custom-protocol

out="$CARGO_TARGET_DIR/$target/release"
dist="$CARGO_TARGET_DIR/dist"
rm -rf "$dist"
mkdir -p "$dist"
cp "$out/rollbook.exe" "$out/rollbook-cli.exe" "$dist/"
loader=$(find "$out" -name WebView2Loader.dll -path '*x64*' -print -quit)
[ -n "$loader" ] || loader=$(find "$out" -name WebView2Loader.dll -print -quit)
[ -n "$loader" ] || { echo "make windows: the build left no WebView2Loader.dll" >&2; exit 1; }
cp "$loader" "$dist/"

setup="$dist/Rollbook_${version}_x64-setup.exe"
makensis -V2 -DVERSION="$version" -DPUBLISHER="$publisher" -DSOURCE="$dist" \
	-DICON="$root/src-tauri/icons/icon.ico" -DOUTFILE="$setup" packaging/windows/rollbook.nsi
ls -l "$dist"
