#!/usr/bin/env bash
# Builds the npm package `baton-engine` into target/npm/baton-engine (nodejs and web targets of
# wasm-bindgen at the version the crate pins, wasm-opt from npm's binaryen when it works) and
# packs it into target/npm/baton-engine-VERSION.tgz. Prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/npm/baton-engine
rm -rf "$out" && mkdir -p "$out"
cargo build --quiet -p baton-wasm --target wasm32-unknown-unknown --profile wasm-size
wasm=target/wasm32-unknown-unknown/wasm-size/baton_wasm.wasm
for t in nodejs web; do
  dir=$([ "$t" = nodejs ] && echo node || echo web)
  wasm-bindgen --target "$t" --out-dir "$out/$dir" "$wasm"
done
# wasm-opt (binaryen from npm) if a working one is available.
tools=target/npm/tools
if [ ! -x "$tools/node_modules/.bin/wasm-opt" ] || [ ! -d "$tools/node_modules/json-schema-to-typescript" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
    binaryen@132.0.0 json-schema-to-typescript@16.0.0 typescript@5.9.3 ajv@8.17.1)
fi
if "$tools/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1; then
  for dir in node web; do
    "$tools/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$out/$dir/baton_wasm_bg.wasm" -o "$out/$dir/baton_wasm_bg.wasm"
  done
  echo "wasm-opt: $("$tools/node_modules/.bin/wasm-opt" --version)"
else
  echo "wasm-opt: not available, package left unoptimised"
fi
# TypeScript types generated from the Rust types (JSON Schema → TypeScript).
cargo run --quiet -p baton-wasm --example schema --features schema > "$out/schema.json"
node scripts/npm-types.mjs "$out/schema.json" "$tools" "$out"
cp wasm/npm/package.json wasm/npm/README.md "$out/"
(cd target/npm && npm pack --silent ./baton-engine >/dev/null)
raw=$(stat -c %s "$out/web/baton_wasm_bg.wasm")
gz=$(gzip -9 -c "$out/web/baton_wasm_bg.wasm" | wc -c)
echo "baton-engine: wasm $raw bytes, $gz bytes gzipped; package $(ls target/npm/baton-engine-*.tgz)"
# The browser issue's budget is 400 KB gzipped for the full engine (and 150 KB for a slim widget
# build, which does not exist yet). It is reported, not enforced, until the size work lands.
budget=$((400 * 1024))
if [ "$gz" -gt "$budget" ]; then
  echo "size budget: OVER — $gz bytes gzipped against 400 KB ($(( (gz - budget) / 1024 )) KB over; see the open browser issue)"
else
  echo "size budget: ok — $gz bytes gzipped within 400 KB"
fi
