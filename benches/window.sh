#!/usr/bin/env bash
# The desktop window's figures: launch → interactive (Rollbook and a bare Tauri window, also
# with a year of data), idle memory (PSS of each with its WebKit processes) and click → "saved
# here" (p50/p95 over 200 clicks). Builds both programs in the bench profile (optimized) with the embedded UI, then runs
# benches/window.rs under Xvfb in a D-Bus session. Usage: benches/window.sh
# (BENCH_LAUNCHES=N launches of each program, default 10, 0 for the clicks only;
#  BENCH_NO_SYNC=1 keeps the sync engine idle, to tell its share in the click figures;
#  BENCH_SCHOOL=0 leaves out the clicks during a school pull, BENCH_YEAR=0 the launches with a
#  year of data, BENCH_NAV=0 Today → roll for a class of 40; see benches/window.rs)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v xvfb-run >/dev/null || { echo "xvfb-run missing: make deps" >&2; exit 1; }
make --no-print-directory ui-build tauri-driver
features=(--features tauri/custom-protocol)
cargo build --profile bench --example bare_window "${features[@]}"
cargo bench --no-run --bench window "${features[@]}"

ROLLBOOK_BENCH_WINDOW=1 xvfb-run -a -s "-screen 0 1280x1024x24" \
	dbus-run-session -- cargo bench --bench window "${features[@]}"
