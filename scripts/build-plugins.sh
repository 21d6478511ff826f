#!/usr/bin/env bash
# Builds the example plugins (Rust with the baton-plugin SDK, and AssemblyScript) and copies the
# Rust ones into examples/acme/plugins, which the sample workspace's baton.toml runs.
#   bash scripts/build-plugins.sh           # build into target/ and plugins/examples/*/build
#   bash scripts/build-plugins.sh --install # also copy into examples/acme/plugins
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
cargo build --quiet -p enterprise-fit -p meddic-completeness --target wasm32-wasip1 --profile plugin
(
  cd plugins/examples/enterprise-fit-as
  npm ci --silent --no-audit --no-fund
  npm run --silent build
)
if [[ "${1:-}" == "--install" ]]; then
  mkdir -p examples/acme/plugins
  cp target/wasm32-wasip1/plugin/enterprise-fit.wasm target/wasm32-wasip1/plugin/meddic-completeness.wasm examples/acme/plugins/
fi
echo "plugins: target/wasm32-wasip1/plugin/{enterprise-fit,meddic-completeness}.wasm, plugins/examples/enterprise-fit-as/build/enterprise-fit-as.wasm"
