#!/usr/bin/env bash
# Assembles target/web-demo: the pages of web-demo/, the baton-engine web package next to each
# (an MV3 extension must carry its own code), and the sample workspace for the extension and viewer.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=target/npm/baton-engine/web
[ -f "$pkg/baton_wasm_bg.wasm" ] || { echo "build the package first: bash scripts/build-npm.sh" >&2; exit 2; }
out=target/web-demo
rm -rf "$out" && mkdir -p "$out"
cp -r web-demo/. "$out/"
# A store `baton serve web-demo/widget` made is the demo service's, not a page's.
rm -f "$out"/widget/baton.db*
for page in extension viewer; do
  # The engine, its zones helper and the time-zone rules it fetches (an MV3 extension carries its own).
  mkdir -p "$out/$page/pkg" && cp -r "$pkg/baton_wasm.js" "$pkg/baton_wasm_bg.wasm" "$pkg/snippets" "$out/$page/pkg/"
  cp target/npm/baton-engine/zones.mjs "$out/$page/pkg/" && cp -r target/npm/baton-engine/tz "$out/$page/pkg/"
done
# The widget loads the widget build (a compiled program's evaluator) and the demo site's program,
# compiled from web-demo/widget/baton.toml by the CLI (target/debug/baton, or $BATON_BIN).
widget=target/npm/baton-engine/widget
mkdir -p "$out/widget/pkg" && cp "$widget/index.js" "$widget/baton_widget.js" "$widget/baton_widget_bg.wasm" "$out/widget/pkg/"
"${BATON_BIN:-target/debug/baton}" widget build web-demo/widget --out "$out/widget"
# acme's program too: the browser test times the widget on the same rules as the full engine.
"${BATON_BIN:-target/debug/baton}" widget build examples/acme --out "$out/widget/acme"
for page in extension viewer; do
  cp web-demo/shared/csv.js "$out/$page/"
  mkdir -p "$out/$page/sample" && cp examples/acme/*.csv examples/acme/baton.toml "$out/$page/sample/"
done
echo "web-demo: $out (serve with: node web-demo/serve.mjs)"
