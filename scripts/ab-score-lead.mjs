// Times `scoreLead` of two web builds side by side in one headless Chromium page, alternating
// rounds, so that the machine's load (which moves browser timings up to 2x between runs here)
// falls on both alike. Each build is a wasm-bindgen `--target web` folder (`baton_wasm.js`,
// `baton_wasm_bg.wasm`, `snippets/`), e.g. target/npm/baton-engine/web and the same folder built
// from another commit. The answers of both must be identical; prints the quartile and median
// of each, in µs a call (8 events, acme's rules).
//
//   node scripts/ab-score-lead.mjs BUILD_A BUILD_B [ROUNDS]
//
// Needs tests/browser's node_modules (`npm ci` there) and Debian's chromium, as the browser tests,
// and the package's tz/ (`bash scripts/build-npm.sh`).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../web-demo/serve.mjs';

const [a, b, rounds = '30'] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node scripts/ab-score-lead.mjs BUILD_A BUILD_B [ROUNDS]');
  process.exit(2);
}
const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const { chromium } = createRequire(join(root, 'tests', 'browser', 'package.json'))('playwright-core');
const site = mkdtempSync(join(tmpdir(), 'baton-ab-'));
cpSync(resolve(a), join(site, 'a'), { recursive: true });
cpSync(resolve(b), join(site, 'b'), { recursive: true });
writeFileSync(join(site, 'index.html'), '<!doctype html><title>scoreLead A/B</title>');
const toml = readFileSync(join(root, 'examples', 'acme', 'baton.toml'), 'utf8').split('# WebAssembly plugins')[0];
const tzif = [...readFileSync(join(root, 'target', 'npm', 'baton-engine', 'tz', 'America', 'New_York'))];

const server = await serve(site);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  const result = await page.evaluate(async ({ toml, tzif, rounds }) => {
    const engines = {};
    for (const name of ['a', 'b']) {
      const module = await import(`./${name}/baton_wasm.js`);
      await module.default();
      engines[name] = new module.Baton(toml, new Uint8Array(tzif));
    }
    const lead = { lead_id: 'P1', created_at: '2026-01-01T00:00:00Z', employees: 800, industry: 'software', persona: 'champion' };
    const events = Array.from({ length: 8 }, (_, i) => ({ ts: `2026-01-0${i + 2}T10:00:00Z`, type: i % 2 ? 'pricing_page_view' : 'email_open', channel: 'web' }));
    const score = (name) => engines[name].scoreLead(lead, events, '2026-02-01T00:00:00Z');
    const same = JSON.stringify(score('a')) === JSON.stringify(score('b'));
    for (const name of ['a', 'b']) for (let i = 0; i < 2000; i++) score(name);
    const times = { a: [], b: [] };
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 ? ['a', 'b'] : ['b', 'a']) {
        const t = performance.now();
        for (let i = 0; i < 1000; i++) score(name);
        times[name].push(performance.now() - t);
      }
    }
    const at = (xs, q) => [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))];
    const summary = (xs) => ({ quartile_us: +at(xs, 0.25).toFixed(1), median_us: +at(xs, 0.5).toFixed(1) });
    return { same, a: summary(times.a), b: summary(times.b) };
  }, { toml, tzif, rounds: Number(rounds) });
  console.log(`A ${a}: ${JSON.stringify(result.a)}`);
  console.log(`B ${b}: ${JSON.stringify(result.b)}`);
  if (!result.same) {
    console.error('the two builds answer differently');
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  server.close();
}
