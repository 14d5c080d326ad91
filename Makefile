# Rollbook: `make run` and `make test` set up a fresh Debian 12 / Ubuntu machine by themselves
# (apt packages, npm packages, tauri-driver), build the UI, then run or test.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

CARGO ?= cargo
NPM ?= npm
CARGO_HOME ?= $(HOME)/.cargo
# `make test` builds every crate once: incremental caches (about 700 MB) would only fill the
# disk of a CI machine. CARGO_INCREMENTAL=1 keeps them between local runs.
export CARGO_INCREMENTAL ?= 0
TAURI_DRIVER := $(CARGO_HOME)/bin/tauri-driver
CARGO_DENY := $(CARGO_HOME)/bin/cargo-deny

# What `tauri build` turns on: the binary serves the embedded ui/dist instead of devUrl.
APP_FEATURES := --features tauri/custom-protocol
# Arguments for `make run`: demo mode by default (a built-in sample school server, its roster
# and a demo token, in a data directory of its own). RUN_ARGS= opens your own data.
RUN_ARGS ?= --demo

# To build: a C toolchain and WebKitGTK. To run and test: a virtual display, the WebKit
# WebDriver, a D-Bus session and a keyring.
APT_PACKAGES := build-essential pkg-config libssl-dev curl file libwebkit2gtk-4.1-dev \
	xvfb xauth webkit2gtk-driver dbus gnome-keyring
# vite 8 needs node ^20.19 or >= 22.12.
NODE_MIN := 20.19

UI_SOURCES := $(shell find ui/src -type f 2>/dev/null) ui/index.html ui/vite.config.ts \
	ui/svelte.config.js ui/tsconfig.json ui/package.json

.PHONY: help run test fmt clippy deny audit cargo-test ui-test ui-check deps apt node ui-deps \
	ui-build tauri-driver cargo-deny rust clean deb windows windows-check
# Steps run one after the other, in the order listed, even under `make -j`.
.NOTPARALLEL:

help:
	@echo "make run    build the UI and open Rollbook in demo mode (RUN_ARGS= for your own data,"
	@echo "            RUN_ARGS='--data-dir DIR' to choose it)"
	@echo "make test   fmt, clippy, cargo deny (licenses, bans, sources), cargo tests (with the"
	@echo "            end-to-end window tests), vitest, svelte-check"
	@echo "make audit  cargo deny check advisories (fetches the RustSec database from GitHub)"
	@echo "make deb    build the Debian package (release build, target/release/bundle/deb/)"
	@echo "make windows        Windows x64: rollbook.exe, rollbook-cli.exe and the installer"
	@echo "                    (target/windows/dist/; about 15 minutes the first time)"
	@echo "make windows-check  install it silently under Wine, run the installed CLI against"
	@echo "                    athena-sim, uninstall, check the programs' imports"

run: deps ui-build
	$(CARGO) run -p rollbook $(APP_FEATURES) -- $(RUN_ARGS)

# The steps of `make test`, in this order (each can be run alone, e.g. `make cargo-test`).
test: deps ui-build fmt clippy deny cargo-test ui-test ui-check

# The Debian package (release build; not part of `test`). The UI is built by ui-build: the
# config's beforeBuildCommand is dropped here because tauri runs it from the directory above
# this one (no package.json at the repo root), where `npm --prefix ui` finds nothing.
deb: deps ui-build
	rm -f target/release/bundle/deb/*.deb
	$(NPM) --prefix ui exec -- tauri build --bundles deb \
		--config '{"build":{"beforeBuildCommand":null}}'
	@ls -1 target/release/bundle/deb/*.deb

# Windows x64, cross-built here (not part of `test`): packaging/windows/build.sh says how.
WINDOWS_APT := rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64-posix \
	g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 nsis
WINDOWS_DIST := target/windows/dist
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -1)

windows: deps ui-build
	$(MAKE) --no-print-directory apt APT_PACKAGES="$(WINDOWS_APT)"
	packaging/windows/build.sh

# Under Debian's Wine (which cannot run WebView2: the window is checked by its imports only),
# with a test-only shim DLL that Wine lacks (packaging/windows/wine/bcryptprimitives.c).
windows-check: windows
	$(MAKE) --no-print-directory apt APT_PACKAGES="wine wine64"
	$(CARGO) build -p athena-sim
	x86_64-w64-mingw32-gcc-posix -shared -O2 -o target/windows/bcryptprimitives.dll \
		packaging/windows/wine/bcryptprimitives.c -ladvapi32
	packaging/windows/check.sh $(WINDOWS_DIST)/Rollbook_$(VERSION)_x64-setup.exe \
		$(WINDOWS_DIST) target/debug/athena-sim target/windows/bcryptprimitives.dll

fmt: rust
	$(CARGO) fmt --all --check

# The second run checks the desktop's demo server: athena-sim without its fault injection.
clippy: rust ui-build
	$(CARGO) clippy --workspace --all-targets $(APP_FEATURES) -- -D warnings
	$(CARGO) clippy -p athena-sim --no-default-features --lib -- -D warnings

# deny.toml: the licences allowed, crates.io as the only source. Needs only crates.io.
deny: rust cargo-deny
	$(CARGO) deny check licenses bans sources

# Known vulnerabilities (RustSec): the advisory database is cloned from GitHub, so this needs
# network access to github.com and is not part of `test`.
audit: rust cargo-deny
	$(CARGO) deny check advisories

# Every crate's tests, including the end-to-end tests of the real window (tests/e2e), which
# need the release-like binary (APP_FEATURES, ui/dist built), a display, a D-Bus session and a
# Secret Service: gnome-keyring, unlocked with a throwaway password, keeping its keyrings in a
# temporary directory (never the user's), so signing in stores the token as on a desktop.
cargo-test: rust ui-build tauri-driver
	keyrings=$$(mktemp -d); trap 'rm -rf "$$keyrings"' EXIT; \
	ROLLBOOK_E2E=1 KEYRINGS="$$keyrings" xvfb-run -a -s "-screen 0 1280x1024x24" \
		dbus-run-session -- bash -euo pipefail -c '\
			printf rollbook | XDG_DATA_HOME="$$KEYRINGS" \
				gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
			exec $(CARGO) test --workspace $(APP_FEATURES)'

ui-test: ui-deps
	$(NPM) --prefix ui test

ui-check: ui-deps
	$(NPM) --prefix ui run check

deps: apt rust node ui-deps tauri-driver

# Installs only what `dpkg -s` does not show as installed; as root, or through sudo.
apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "missing apt packages:$$missing; install them as root" >&2; exit 1; fi; \
	echo "installing:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

rust:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (rustup.rs)" >&2; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt missing: rustup component add rustfmt" >&2; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy missing: rustup component add clippy" >&2; exit 1; }

# Node from apt only when there is none (Debian 12's is too old for vite 8: the check says so).
node: apt
	@if ! command -v node >/dev/null || ! command -v $(NPM) >/dev/null; then \
		if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm; \
	fi
	@v=$$(node -p process.versions.node); \
	if [ "$$(printf '%s\n' "$(NODE_MIN)" "$$v" | sort -V | head -n1)" != "$(NODE_MIN)" ]; then \
		echo "node $$v is too old: the UI toolchain (vite 8) needs >= $(NODE_MIN)" >&2; exit 1; \
	fi

ui-deps: ui/node_modules/.package-lock.json
ui/node_modules/.package-lock.json: ui/package-lock.json ui/package.json | node
	$(NPM) --prefix ui ci --no-audit --no-fund
	@touch $@

ui-build: ui/dist/index.html
ui/dist/index.html: $(UI_SOURCES) ui/node_modules/.package-lock.json
	$(NPM) --prefix ui run build

tauri-driver:
	@if [ -x "$(TAURI_DRIVER)" ] || command -v tauri-driver >/dev/null; then exit 0; fi; \
	$(CARGO) install tauri-driver --locked

cargo-deny:
	@if [ -x "$(CARGO_DENY)" ] || command -v cargo-deny >/dev/null; then exit 0; fi; \
	$(CARGO) install --locked cargo-deny

clean:
	rm -rf ui/dist ui/node_modules
	$(CARGO) clean
