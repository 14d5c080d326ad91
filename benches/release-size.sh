#!/bin/bash
# The release binaries' sizes (BENCHMARKS.md, "Release size"): builds the desktop app and the CLI
# with the release profile of Cargo.toml (CARGO_PROFILE_RELEASE_* variables override it, to
# compare profiles), then the Debian package from the same build, and prints each size. Checks
# that the desktop binary carries none of the simulator's fault injection and no aws-lc.
#
#   benches/release-size.sh                          # the shipped profile
#   CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
#   CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target/size-default benches/release-size.sh
#
# Needs the UI built (make ui-build) and the Debian packages of `make deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
export CARGO_TARGET_DIR=$target

started=$(date +%s)
cargo build --release -p rollbook -p rollbook-cli --features tauri/custom-protocol
npm --prefix ui exec -- tauri build --bundles deb --config '{"build":{"beforeBuildCommand":null}}'
echo "build: $(($(date +%s) - started)) s"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MB (%d bytes)", b / 1e6, b }'; }
for bin in rollbook rollbook-cli; do
	built=$target/release/$bin
	stripped=$(mktemp)
	strip -o "$stripped" "$built"
	echo "$bin: as built $(mib "$(stat -c %s "$built")"), stripped $(mib "$(stat -c %s "$stripped")")"
	rm -f "$stripped"
done
deb=$(ls -1t "$target"/release/bundle/deb/*.deb | head -1)
echo "$(basename "$deb"): $(mib "$(stat -c %s "$deb")")"

# The product carries no fault injection (athena-sim's `faults` feature) and no aws-lc.
if strings "$target/release/rollbook" | grep -q -e 'injecting fault' -e 'aws_lc_0'; then
	echo "the desktop binary carries fault injection or aws-lc" >&2
	exit 1
fi
echo "no fault injection, no aws-lc in rollbook"
