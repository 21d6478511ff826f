// The web demos in Debian's headless Chromium (playwright-core, no browser download): the
// marketing-site widget hands off at the right score, the report viewer shows the native
// report.json's numbers, the CRM side panel scores a contact like `baton score` and checks a draft
// as it is typed, and the extension loads with --load-extension. Every page must log no console
// errors. Screenshots go to target/screenshots; browser timings to target/browser-perf.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../web-demo/serve.mjs';
import { args, artifacts, bin, demo, executablePath, root } from './support.mjs';

const perf = {};
let server, base, browser;

before(async () => {
  server = await serve(demo);
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath, args });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  writeFileSync(join(root, 'target', 'browser-perf.json'), JSON.stringify(perf, null, 2) + '\n');
  console.log('browser performance:', JSON.stringify(perf));
});

/** A page that records console errors and uncaught exceptions. */
async function open(context = browser) {
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

function nativeReport(dir) {
  const out = mkdtempSync(join(tmpdir(), 'baton-demo-'));
  execFileSync(bin, ['analyze', dir, '--out', out, '--quiet', '--no-plugins'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
}

test('widget: touches are scored live and the handoff fires when the MQL threshold is crossed', async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const score = () => page.evaluate(() => window.batonWidget.score.score);
  const handoffs = [];
  await page.exposeFunction('recordHandoff', (d) => handoffs.push(d));
  await page.addInitScript(() => {
    window.addEventListener('baton:handoff', (e) => window.recordHandoff(e.detail));
  });
  const visit = async (path) => {
    await page.goto(`${base}${path}`);
    await page.waitForFunction(() => window.batonWidget?.ready && window.batonWidget.score);
  };
  // web-demo/widget/baton.toml: page_view 5, pricing_page_view 20, webinar_register 15; threshold 40.
  await visit('/site/index.html');
  perf.widget_first_visit_ms = await page.evaluate(() =>
    ({ init: Math.round(window.batonWidget.initMs), ready: Math.round(window.batonWidget.startMs) }));
  assert.equal(await score(), 5);
  await visit('/site/pricing.html');
  assert.equal(await score(), 25);
  await visit('/site/index.html');
  assert.equal(await score(), 30);
  await visit('/site/webinar.html');
  assert.equal(await score(), 35);
  assert.equal(await page.locator('#baton-handoff').count(), 0, 'no handoff below 40');
  await page.click('#register');
  await page.waitForSelector('#baton-handoff');
  assert.equal(await score(), 50);
  assert.equal(await page.locator('#baton-handoff').getAttribute('data-score'), '50');
  assert.equal(handoffs.length, 1);
  assert.equal(handoffs[0].score, 50);
  assert.deepEqual(handoffs[0].touches.map((t) => t.type),
    ['page_view', 'pricing_page_view', 'page_view', 'page_view', 'webinar_register']);
  // The webhook got the same handoff.
  await page.waitForFunction(() => true);
  for (let i = 0; i < 50 && server.posts.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.posts.length, 1);
  assert.equal(server.posts[0].path, '/hooks/handoff');
  assert.equal(JSON.parse(server.posts[0].body).score, 50);
  // Once handed off, further touches do not fire again.
  await visit('/site/pricing.html');
  assert.equal(handoffs.length, 1);
  await page.screenshot({ path: join(artifacts, 'widget.png') });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('widget with consent required: nothing stored or sent until consent, then the waiting handoff', async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const stored = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('baton.')).sort());
  const postsBefore = server.posts.length;
  await page.goto(`${base}/site/consent.html`);
  await page.waitForFunction(() => window.batonWidget?.ready && window.batonWidget.score);
  assert.equal(await page.evaluate(() => window.batonWidget.awaitingConsent), true);
  // page_view 5 + two pricing views 40: past the threshold of 40, scored in the page...
  await page.evaluate(() => { window.batonWidget.record('pricing_page_view'); window.batonWidget.record('pricing_page_view'); });
  assert.equal(await page.evaluate(() => window.batonWidget.score.score), 45);
  // ...but nothing stored, no handoff shown or sent.
  assert.deepEqual(await stored(), []);
  assert.equal(await page.locator('#baton-handoff').count(), 0);
  assert.equal(server.posts.length, postsBefore);
  // Consent: the visit's touches are stored and the waiting handoff goes out once.
  await page.evaluate(() => window.batonWidget.consent(true));
  await page.waitForSelector('#baton-handoff');
  assert.deepEqual(await stored(), ['baton.consent', 'baton.handoff', 'baton.touches', 'baton.visitor']);
  assert.equal(JSON.parse(await page.evaluate(() => localStorage.getItem('baton.touches'))).length, 3);
  for (let i = 0; i < 50 && server.posts.length === postsBefore; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.posts.length, postsBefore + 1);
  assert.equal(JSON.parse(server.posts.at(-1).body).score, 45);
  // The next visit remembers the consent and the touches.
  await page.goto(`${base}/site/consent.html`);
  await page.waitForFunction(() => window.batonWidget?.ready && window.batonWidget.score);
  assert.equal(await page.evaluate(() => window.batonWidget.awaitingConsent), false);
  assert.equal(await page.evaluate(() => window.batonWidget.touches.length), 4);
  // Withdrawing consent erases everything stored.
  await page.evaluate(() => window.batonWidget.consent(false));
  assert.deepEqual(await stored(), []);
  assert.equal(await page.evaluate(() => window.batonWidget.awaitingConsent), true);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('report viewer: the sample workspace analysed in the page shows the native report numbers', async () => {
  const native = nativeReport(join(root, 'examples', 'acme'));
  const page = await open();
  await page.goto(`${base}/`);
  assert.equal(await page.locator('a').count(), 3, 'the demo index links the three demos');
  await page.goto(`${base}/viewer/`);
  await page.waitForSelector('body[data-ready]');
  await page.click('#sample');
  await page.waitForSelector('#report:not([hidden])');
  const text = async (id) => (await page.locator(`#${id}`).textContent()).trim();
  const num = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
  assert.equal(await text('kpi-leads'), num(native.summary.leads));
  assert.equal(await text('kpi-events'), num(native.summary.events));
  assert.equal(await text('kpi-mqls'), num(native.scoring.mqls));
  assert.equal(await text('kpi-profit'), num(native.kpis.profit));
  assert.equal(await text('kpi-sla'), `${(native.kpis.sla_compliance * 100).toFixed(1)}%`);
  assert.equal(await text('kpi-rejected'), num(native.data_quality.rejected));
  const values = (id) => page.$$eval(`#${id} g`, (gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.value)]));
  const f = native.journey.stages.funnel;
  assert.deepEqual(await values('chart-funnel'), f.stages.map((s, i) => [s, f.total[i]]));
  assert.deepEqual(await values('chart-attribution'), Object.entries(native.attribution.by_channel.linear));
  assert.deepEqual(await values('chart-pipeline'), Object.entries(native.kpis.pipeline_by_source));
  // The whole report object equals the native one.
  const inPage = await page.evaluate(() => window.batonReport);
  assert.deepEqual(inPage, native);
  await page.screenshot({ path: join(artifacts, 'viewer.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
});

test('browser performance: widget start, cold, in fresh browser contexts', async () => {
  // Each visit in a new context (no HTTP or code cache, no stored touches), as a first-time
  // visitor's: `init` is fetch + compile + instantiate of the widget build, `ready` adds the
  // program's fetch and the visitor built from it. One visit first, not counted (a new renderer
  // process after the previous tests' pages); then the median of seven is reported, and the
  // seven: single visits on this 2-core machine range from about 35 to 190 ms.
  const init = [], ready = [];
  for (let i = -1; i < 7; i++) {
    const context = await browser.newContext();
    const page = await open(context);
    await page.goto(`${base}/site/index.html`);
    await page.waitForFunction(() => window.batonWidget?.ready);
    const t = await page.evaluate(() => [window.batonWidget.initMs, window.batonWidget.startMs]);
    assert.ok(t[0] > 0 && t[1] >= t[0], `init ${t[0]} ms, ready ${t[1]} ms`);
    if (i >= 0) {
      init.push(Math.round(t[0]));
      ready.push(Math.round(t[1]));
    }
    assert.deepEqual(page.errors, []);
    await context.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  perf.widget_start_fetch_instantiate_ms = median(init);
  perf.widget_start_ready_ms = median(ready);
  perf.widget_start_runs = { init, ready };
  // The compiled-program issue's target: ready to score within 100 ms on localhost.
  assert.ok(perf.widget_start_ready_ms <= 100, `widget ready in ${perf.widget_start_ready_ms} ms (runs: ${ready})`);
});

test('browser performance: analyze 100k events, scoreLead, checkMessage on 300 words', async () => {
  const gen = mkdtempSync(join(tmpdir(), 'baton-perf-'));
  execFileSync(bin, ['gen', '--leads', '12500', '--seed', '3', '--out', gen], { stdio: 'ignore' });
  const files = {};
  for (const name of readdirSync(gen)) files[name] = readFileSync(join(gen, name), 'utf8');
  const toml = readFileSync(join(root, 'examples', 'acme', 'baton.toml'), 'utf8').split('# WebAssembly plugins')[0];
  const page = await open();
  await page.goto(`${base}/viewer/`);
  await page.waitForSelector('body[data-ready]');
  const result = await page.evaluate(async ({ files, toml }) => {
    const { Baton } = await import('./pkg/baton_wasm.js');
    const { fetchTimeZone } = await import('./pkg/zones.mjs');
    const config = files['baton.toml'] ?? '';
    delete files['baton.toml'];
    const zoneOf = async (toml) => { const z = Baton.timeZoneOf(toml); return z && (await fetchTimeZone(z)); };
    const engine = new Baton(config, await zoneOf(config));
    engine.loadWorkspace(files);
    let t = performance.now();
    const report = engine.analyze();
    const analyzeMs = performance.now() - t;
    const scorer = new Baton(toml, await zoneOf(toml));
    const lead = { lead_id: 'P1', created_at: '2026-01-01T00:00:00Z', employees: 800, industry: 'software', persona: 'champion' };
    const events = Array.from({ length: 8 }, (_, i) => ({ ts: `2026-01-0${i + 2}T10:00:00Z`, type: i % 2 ? 'pricing_page_view' : 'email_open', channel: 'web' }));
    // V8 runs a module's functions in its baseline tier first and optimises the hot ones in the
    // background: a page's first thousand scoreLead calls are 2-3x slower. `cold` is the mean of
    // the first `first` calls; the figure is the steady state, the median of `rounds` rounds of `n`
    // calls after `warm` more (scoreLead: 15 of 500 after 5,000).
    const timed = (call, first, warm, rounds, n) => {
      let t = performance.now();
      for (let i = 0; i < first; i++) call();
      const cold = ((performance.now() - t) * 1000) / first;
      for (let i = 0; i < warm; i++) call();
      const times = [];
      for (let r = 0; r < rounds; r++) {
        t = performance.now();
        for (let i = 0; i < n; i++) call();
        times.push(((performance.now() - t) * 1000) / n);
      }
      return { cold, steady: times.sort((a, b) => a - b)[Math.floor(rounds / 2)] };
    };
    const score = timed(() => scorer.scoreLead(lead, events, '2026-02-01T00:00:00Z'), 1000, 5000, 15, 500);
    const words = 'Teams go live in 30 days and cut onboarding time by 40% with 200 native integrations and an open REST API, SOC 2 Type II security and a 3x return on investment.'.split(' ');
    const draft = Array.from({ length: 300 }, (_, i) => words[i % words.length]).join(' ');
    const check = timed(() => scorer.checkMessage(draft, 'champion'), 20, 200, 9, 40);
    // The widget build: acme's [scoring] compiled by `baton widget build`, one visitor holding the
    // same lead and events, scored as of the same instant (a number: no date parsing per call).
    const widget = await import('../widget/pkg/index.js');
    await widget.default();
    const visitor = new widget.Visitor(await (await fetch('../widget/acme/program.bin')).arrayBuffer());
    const { lead_id: _id, created_at: _created, ...attributes } = lead;
    visitor.set(attributes);
    for (const e of events) visitor.addTouch(e);
    const asOf = Date.parse('2026-02-01T00:00:00Z');
    const widgetAnswer = visitor.score(asOf);
    const engineAnswer = scorer.scoreLead(lead, events, '2026-02-01T00:00:00Z');
    const widgetScore = timed(() => visitor.score(asOf), 1000, 5000, 15, 500);
    return { events: report.summary.events, analyzeMs, score, check, widgetScore, widgetAnswer, engineAnswer };
  }, { files, toml });
  perf.analyze_events = result.events;
  perf.analyze_ms = Math.round(result.analyzeMs);
  perf.score_lead_us = Number(result.score.steady.toFixed(1));
  perf.score_lead_first_1000_calls_us = Number(result.score.cold.toFixed(1));
  perf.widget_score_lead_us = Number(result.widgetScore.steady.toFixed(1));
  perf.widget_score_lead_first_1000_calls_us = Number(result.widgetScore.cold.toFixed(1));
  perf.check_message_300_words_ms = Number((result.check.steady / 1000).toFixed(3));
  assert.ok(result.events > 90000, `${result.events} events`);
  // The widget's answer is the engine's, in the page.
  const { score, fit, engagement, mql, grade, priority } = result.engineAnswer;
  assert.deepEqual(
    (({ score, fit, engagement, mql, grade, priority }) => ({ score, fit, engagement, mql, grade, priority }))(result.widgetAnswer),
    { score, fit, engagement, mql, grade, priority },
  );
  assert.ok(result.widgetAnswer.score > 0 && result.widgetAnswer.reasons.length > 0);
  // The compiled-program issue's target: ≤ 20 µs at steady state in Chromium.
  assert.ok(perf.widget_score_lead_us <= 20, `widget score ${perf.widget_score_lead_us} µs`);
  assert.deepEqual(page.errors, []);
});

/** The `baton score` row of a lead (rules only, as the browser). */
function nativeScore(lead) {
  const out = join(mkdtempSync(join(tmpdir(), 'baton-score-')), 'scored.csv');
  execFileSync(bin, ['score', join(root, 'examples', 'acme'), '--out', out, '--quiet']);
  const row = readFileSync(out, 'utf8').split('\n').find((l) => l.startsWith(`${lead},`));
  return Number(row.split(',')[1]);
}

async function checkSidePanel(page) {
  await page.waitForSelector('body[data-ready]');
  assert.equal(Number(await page.locator('#score').getAttribute('data-score')), nativeScore('L0000002'));
  assert.ok((await page.locator('#why li').count()) > 0, 'the score is explained');
  assert.ok((await page.locator('#sla li').count()) === 2, 'both SLA clocks');
  assert.ok((await page.locator('#timeline li').count()) > 0, 'timeline');
  assert.ok((await page.locator('#qualification li').count()) >= 3, 'verdicts per set');
  await page.fill('#draft', 'Hi Dana — teams go live in 30 days with our 200 native integrations. We are the #1 rated workflow tool with guaranteed results.');
  await page.waitForFunction(() => document.querySelectorAll('#findings li').length > 0);
  const findings = await page.$$eval('#findings li', (l) => l.map((x) => x.textContent));
  assert.ok(findings.some((f) => f.startsWith('✓ Faster onboarding: “teams go live in 30 days”')), findings.join('\n'));
  assert.ok(findings.some((f) => f.startsWith('✓ Integrates with your stack: “native integrations”')), findings.join('\n'));
  assert.ok(findings.includes('missing pillar: Enterprise-grade security'), findings.join('\n'));
  assert.ok(findings.includes('missing pillar: Proven ROI'), findings.join('\n'));
  assert.ok(findings.includes('retired claim: “rated workflow tool” (#1 rated workflow tool)'), findings.join('\n'));
  assert.ok(findings.includes('banned claim: “guaranteed results” (guaranteed results)'), findings.join('\n'));
  assert.equal(await page.locator('#message-score').getAttribute('data-score'), '0');
}

test('CRM side panel (as a page): score like `baton score`, SLA clocks, verdicts, live message check', async () => {
  const page = await open();
  await page.goto(`${base}/extension/sidepanel.html?lead=L0000002`);
  await checkSidePanel(page);
  await page.screenshot({ path: join(artifacts, 'sidepanel.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
});

test('the extension loads unpacked (--load-extension) and its side panel works', async () => {
  const ext = join(demo, 'extension');
  const profile = mkdtempSync(join(tmpdir(), 'baton-ext-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...args, `--disable-extensions-except=${ext}`, `--load-extension=${ext}`],
  });
  try {
    let [worker] = context.serviceWorkers();
    worker ??= await context.waitForEvent('serviceworker', { timeout: 15000 });
    const id = new URL(worker.url()).host;
    const manifest = await worker.evaluate(() => chrome.runtime.getManifest());
    assert.equal(manifest.manifest_version, 3);
    assert.equal(manifest.side_panel.default_path, 'sidepanel.html');
    const page = await open(context);
    await page.goto(`chrome-extension://${id}/sidepanel.html?lead=L0000002`);
    await checkSidePanel(page);
    await page.screenshot({ path: join(artifacts, 'extension.png'), fullPage: true });
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});
