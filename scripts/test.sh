#!/usr/bin/env bash
# Sets up what the tests need and runs all of them: formatting, lints (native and wasm32),
# the live service's tests (the real server on 127.0.0.1, SQLite and a PostgreSQL it starts),
# the example plugins (Rust and AssemblyScript), the Rust test suite (with the hostile-plugin
# suite), scaffolded plugin projects built from scratch, the wasm32 builds, and the
# native-vs-wasm parity test in Node.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32 targets, wasm-bindgen CLI at the version the crate pins"
rustup target add wasm32-unknown-unknown wasm32-wasip1
rustup component add rustfmt clippy >/dev/null 2>&1 || true
WB_VERSION=$(sed -nE 's/^wasm-bindgen = "=([0-9.]+)"/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  # Not --locked: the registry mirror here lacks one of the lockfile's exact transitive versions.
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi
command -v node >/dev/null || { apt-get update && apt-get install -y nodejs npm; }
if [ ! -x /usr/bin/chromium ]; then
  # Debian's Chromium for the browser tests (Playwright drives it; no browser download).
  apt-get update && apt-get install -y chromium
fi
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  # Debian's PostgreSQL for the service's store tests (host/tests/service_postgres.rs starts a
  # server of its own in a scratch folder, as the `postgres` user when run as root).
  apt-get update && apt-get install -y postgresql
fi
(cd tests/browser && npm ci --no-audit --no-fund)

step "format"
cargo fmt --all --check

step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy -p baton-core -p baton-wasm --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p baton-widget --target wasm32-unknown-unknown -- -D warnings  # the widget build
cargo clippy -p baton-plugin -p enterprise-fit -p meddic-completeness --target wasm32-wasip1 -- -D warnings

step "example plugins: Rust (wasm32-wasip1) and AssemblyScript (npm)"
bash scripts/build-plugins.sh

step "tests (Rust: the suite, the hostile-plugin suite, the fuzz targets in smoke mode (docs/fuzzing.md), and the service over HTTP on SQLite and a real PostgreSQL)"
cargo test --workspace

step "plugin projects from 'baton plugin new' build as is, pass 'check' and run on acme"
cargo build -p baton
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
target/debug/baton plugin new demo-rust --lang rust --dir "$scratch"
(cd "$scratch/demo-rust" && cargo build --release --quiet)
target/debug/baton plugin check "$scratch/demo-rust/target/wasm32-wasip1/release/demo-rust.wasm"
target/debug/baton plugin test "$scratch/demo-rust/target/wasm32-wasip1/release/demo-rust.wasm" \
  --workspace examples/acme --limit 3
target/debug/baton plugin new demo-as --lang assemblyscript --dir "$scratch"
(cd "$scratch/demo-as" && npm install --silent --no-audit --no-fund && npm run --silent build)
target/debug/baton plugin check "$scratch/demo-as/build/demo-as.wasm"
target/debug/baton plugin test "$scratch/demo-as/build/demo-as.wasm" --workspace examples/acme --limit 3

step "build core and the wasm package for wasm32-unknown-unknown"
cargo build -p baton-core --target wasm32-unknown-unknown --release
cargo build -p baton-wasm --target wasm32-unknown-unknown --profile wasm-size
wasm-bindgen --target nodejs --out-dir target/wasm-pkg/node \
  target/wasm32-unknown-unknown/wasm-size/baton_wasm.wasm
# The wasm build has no time-zone database: the parity test hands it the bundled zones' TZif files.
cargo run --quiet -p baton-wasm --example tzdata -- target/wasm-pkg/tz

step "tests (native vs wasm parity, Node)"
cargo build -p baton
node --test tests/parity/

step "npm package: nodejs + web targets, wasm-opt, npm pack; installed into a scratch project"
bash scripts/build-npm.sh
node --test tests/npm/

step "web demos: extension, widget + site, report viewer (target/web-demo)"
bash scripts/build-web-demo.sh

step "tests (browser: report.html, widget, viewer, side panel, extension in headless Chromium; the widget and the extension on a live baton serve, end to end; screenshots in target/screenshots)"
node --test tests/browser/
