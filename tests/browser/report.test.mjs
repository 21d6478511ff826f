// report.html renders in headless Chromium (Debian's, no browser download): the charts are there,
// the numbers match report.json, and the page logs no errors. A screenshot is kept as an artifact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.BATON_BIN ?? join(root, 'target', 'debug', 'baton');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(root, 'target', 'screenshots');

test('report.html shows the charts with the report.json numbers and no console errors', async () => {
  const out = mkdtempSync(join(tmpdir(), 'baton-html-'));
  execFileSync(bin, ['analyze', join(root, 'examples', 'acme'), '--out', out, '--quiet']);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(join(out, 'report.html')).href);
    for (const id of ['chart-funnel', 'chart-journey', 'chart-sla-histogram', 'chart-segments', 'chart-attribution', 'chart-chassis']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box && box.width > 100 && box.height > 50, `${id} is drawn`);
    }
    // One funnel bar per stage, one histogram bar per bucket plus "not yet", the SLA line.
    assert.equal(await page.locator('#chart-funnel rect.bar').count(), report.journey.stages.funnel.stages.length);
    const ft = report.handoff.first_touch;
    assert.equal(await page.locator('#chart-sla-histogram rect.bar').count(), ft.histogram.length + 1);
    assert.equal(await page.locator('#sla-line').count(), 1);
    assert.equal(await page.locator('#chart-journey path.edge').count(), report.journey.stages.transitions.length);
    // The numbers shown are the report's.
    const funnelText = await page.locator('#chart-funnel').textContent();
    assert.ok(funnelText.includes(String(report.journey.stages.funnel.total[1])), 'MQL count shown');
    const slaRow = await page.locator('#sla-table tr', { hasText: 'first_touch' }).textContent();
    assert.ok(slaRow.includes(String(ft.handoffs)) && slaRow.includes(String(ft.breached)), slaRow);
    // Attribution: one bar per model and channel; the ranked recommendations are listed.
    const models = Object.keys(report.attribution.by_channel).length;
    const channels = Object.keys(report.attribution.by_channel.linear).length;
    assert.equal(await page.locator('#chart-attribution rect.bar').count(), models * channels);
    assert.equal(await page.locator('#recommendations tr').count(), report.recommendations.length + 1);
    // Qualification: one row per set and criterion; the plugin criterion shows its plugin's reasons.
    const criteria = report.scoring.qualification.reduce((n, s) => n + s.criteria.length, 0);
    assert.equal(await page.locator('#qualification tr.criterion').count(), criteria);
    const fit = await page.locator('#qualification tr[data-plugin="enterprise-fit"]').textContent();
    const plugin = report.plugins.find((p) => p.name === 'enterprise-fit');
    assert.ok(fit.includes(plugin.top_reasons[0].reason), fit);
    assert.equal(await page.locator('#chart-chassis rect.bar').count(), report.chassis.sensitivity.length);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [], 'the page loads nothing from the network');
  } finally {
    await browser.close();
  }
});
