#!/bin/bash
# `make windows-check`: the Windows installer as a school's IT would use it, under Wine.
#
# In a fresh Wine prefix: install silently, then run the installed rollbook-cli.exe through a
# roster import, a sign-in (the token in the Credential Manager), marks, a `sync --wait` against
# athena-sim (the Linux build) on loopback, a `report` and a sign-out; uninstall silently and
# check the program is gone and the data kept; check the programs and DLLs are PE32+ x86-64
# with the imports they need. Wine cannot run WebView2, so the
# window itself is checked by its imports only (README: what was verified where).
#
# Usage: check.sh SETUP_EXE BUILD_DIR SIM_BIN SHIM_DLL
set -euo pipefail

setup=$(realpath "$1")
build=$(realpath "$2")
sim_bin=$(realpath "$3")
shim=$(realpath "$4")
objdump=x86_64-w64-mingw32-objdump

work=$(mktemp -d)
sim_pid=""
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'windows-check: FAILED: %s\n' "$*" >&2; exit 1; }

step "the programs are PE32+ x86-64 with the imports they need"
for exe in rollbook.exe rollbook-cli.exe WebView2Loader.dll; do
	[ -f "$build/$exe" ] || fail "$exe was not built"
	head=$($objdump -f "$build/$exe")
	grep -q "file format pei-x86-64" <<<"$head" || fail "$exe is not PE32+ x86-64: $head"
done
imports() { $objdump -p "$build/$1" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u; }
# advapi32: the token store (Credential Manager).
for dll in kernel32.dll ws2_32.dll bcryptprimitives.dll advapi32.dll; do
	imports rollbook-cli.exe | grep -qx "$dll" || fail "rollbook-cli.exe does not import $dll"
done
for dll in webview2loader.dll user32.dll ole32.dll; do
	imports rollbook.exe | grep -qx "$dll" || fail "rollbook.exe does not import $dll"
done
# Nothing outside Windows itself and the WebView2 loader shipped beside it.
for exe in rollbook.exe rollbook-cli.exe; do
	for dll in $(imports "$exe"); do
		case "$dll" in
		webview2loader.dll) [ "$exe" = rollbook.exe ] || fail "$exe imports $dll" ;;
		lib*.dll | *mingw* | *gcc* | *stdc++* | *pthread*) fail "$exe needs $dll, which is not installed" ;;
		esac
	done
done
echo "ok: rollbook.exe, rollbook-cli.exe and WebView2Loader.dll"

step "a fresh Wine prefix"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineboot --init >/dev/null 2>&1
wineserver -w
local_appdata=$(wine cmd /c 'echo %LOCALAPPDATA%' 2>/dev/null | tr -d '\r')
unix_local=$(winepath -u "$local_appdata" 2>/dev/null)
program="$unix_local/Programs/Rollbook"
data="$unix_local/org.rollbook.app"
echo "LOCALAPPDATA is $local_appdata"

step "silent install (/S)"
wine "$setup" /S
wineserver -w
for f in rollbook.exe rollbook-cli.exe WebView2Loader.dll uninstall.exe; do
	[ -f "$program/$f" ] || fail "the installer did not put $f in $program"
done
shortcut=$(find "$WINEPREFIX/drive_c" -path '*Start Menu/Programs/Rollbook/Rollbook.lnk' | head -1)
[ -n "$shortcut" ] || fail "no Start-menu shortcut"
wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\org.rollbook.app' \
	/v DisplayVersion 2>/dev/null | tr -d '\r' | grep -q "REG_SZ" || fail "no uninstall entry"
echo "ok: installed in $program, shortcut and uninstall entry"

# Wine only: Rust's standard library imports ProcessPrng from bcryptprimitives.dll, which
# Debian's Wine lacks (Windows 10 and 11 have it). The shim is never part of the installer.
cp "$shim" "$program/bcryptprimitives.dll"

step "athena-sim on loopback"
port_file="$work/sim.out"
"$sim_bin" --port 0 --token check-token >"$port_file" 2>"$work/sim.err" &
sim_pid=$!
url=""
for _ in $(seq 100); do
	url=$(grep -ho 'http://127\.0\.0\.1:[0-9]*' "$port_file" 2>/dev/null | head -1 || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || fail "athena-sim did not say where it listens: $(cat "$port_file" "$work/sim.err")"
echo "athena-sim at $url"
"$sim_bin" --write-roster "$work/roster.csv"

cli() { wine "$program/rollbook-cli.exe" "$@" 2>&1 | tr -d '\r'; }
# No ROLLBOOK_DATA_DIR: the CLI finds its default, %LOCALAPPDATA%\org.rollbook.app, where the
# uninstaller looks for the user's data. No ROLLBOOK_TOKEN: the token is signed in to the
# Credential Manager (Wine's, in the registry of the prefix) and read from there.
unset ROLLBOOK_TOKEN ROLLBOOK_DATA_DIR
credential='HKCU\Software\Wine\Credential Manager'
has_credential() { wine reg query "$credential" /s 2>/dev/null | tr -d '\r' | grep -q "org.rollbook.app"; }

step "sign in: the token in the Credential Manager"
printf 'check-token\n' | wine "$program/rollbook-cli.exe" login --api-url "$url" 2>&1 | tr -d '\r'
has_credential || fail "login stored no credential"
echo "ok: a Credential Manager entry for $url"

step "roster import, marks, sync --wait, report"
cli roster import "$(winepath -w "$work/roster.csv")"
offering=$(awk -F, 'NR == 2 { print $1 }' "$work/roster.csv")
students=$(awk -F, -v o="$offering" 'NR > 1 && $1 == o { print $5 }' "$work/roster.csv" | head -3)
today=$(date +%F)
status=present
for student in $students; do
	cli mark --offering "$offering" --student "$student" --date "$today" --status "$status"
	status=absent
done
cli status --json | tee "$work/status-before.json"
grep -q '"pending": *3' "$work/status-before.json" || fail "three marks are not pending"
cli sync --wait --timeout 60
cli status --json | tee "$work/status-after.json"
grep -q '"synced": *3' "$work/status-after.json" || fail "the three marks were not delivered"
first=$(head -1 <<<"$students")
cli report --student "$first" --json >"$work/report.json"
grep -q '"days_observed"' "$work/report.json" || fail "report --json has no measures: $(cat "$work/report.json")"
[ -f "$data/rollbook.db" ] || fail "no database in $data"
echo "ok: 3 marks delivered, report read, data in $data"

step "sign out deletes the token"
cli logout
has_credential && fail "logout left the credential"
cli sync --timeout 10 >"$work/sync-signed-out.txt" || true
grep -q "not signed in" "$work/sync-signed-out.txt" ||
	fail "signed out, sync does not say so: $(cat "$work/sync-signed-out.txt")"
echo "ok: the credential is gone, and sync says it is not signed in"

step "silent uninstall keeps the data"
wine "$program/uninstall.exe" /S
wineserver -w
sleep 1
wineserver -w
[ ! -e "$program/rollbook.exe" ] || fail "the uninstaller left rollbook.exe"
[ ! -e "$program/rollbook-cli.exe" ] || fail "the uninstaller left rollbook-cli.exe"
[ -z "$(find "$WINEPREFIX/drive_c" -path '*Start Menu/Programs/Rollbook*' -print -quit)" ] ||
	fail "the uninstaller left the Start-menu shortcut"
[ -f "$data/rollbook.db" ] || fail "the uninstaller deleted the user's data"
echo "ok: program removed, $data kept"

printf '\nwindows-check: all passed\n'
