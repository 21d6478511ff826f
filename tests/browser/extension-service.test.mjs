// The CRM extension on the live service, in Debian's headless Chromium with the extension loaded
// (--load-extension): the real `baton serve` on loopback (acme's workspace and plugins, a file
// clock), the options page's connection test, the content script on HubSpot and Salesforce record
// URLs (routed to local stand-in pages, so the real match patterns run), the side panel following
// the open record with the service's card and the SLA clock in business hours, Accept, the
// service stopped, a 360 px panel without horizontal scrolling and axe-core's check.
// Screenshots go to target/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { args, artifacts, bin, demo, executablePath, freePort, openPage, root, startService, stopService } from './support.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const fixtures = join(root, 'tests', 'fixtures', 'crm');
let workspace, port, service, tokens, context, extensionId, profile;

/** The service on its port with the file clock (the panel's URL names the port). */
const start = async () => (await startService(workspace, { port, args: ['--clock', `file:${join(workspace, 'clock')}`] })).child;

const base = () => `http://127.0.0.1:${port}`;

async function post(path, body) {
  const r = await fetch(`${base()}${path}`, { method: 'POST', headers: { authorization: `Bearer ${tokens.ingest}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await r.json();
  assert.equal(r.status, 200, JSON.stringify(answer));
  assert.equal(answer.rejected, 0, JSON.stringify(answer));
}

before(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'baton-crm-'));
  cpSync(join(root, 'examples', 'acme'), workspace, { recursive: true });
  rmSync(join(workspace, 'baton.db'), { force: true });
  // A pillar only this team has: the panel's draft check must run the service's baton.toml,
  // not the sample bundled with the extension.
  appendFileSync(join(workspace, 'baton.toml'), `
[[messaging.pillars]]
name = "Month-end close"
description = "Close the books in three days."
phrases = ["close the books in three days"]
synonyms = ["month-end close"]
`);
  // Tuesday 30 June 2026, 11:00 in New York: one business hour into the handoff below.
  writeFileSync(join(workspace, 'clock'), '2026-06-30T15:00:00Z');
  const token = (scope) => execFileSync(bin, ['serve', 'token', 'create', workspace, '--scope', scope], { encoding: 'utf8' }).trim();
  tokens = { rep: token('rep'), ingest: token('ingest') };
  port = await freePort();
  service = await start();
  // The CRM's records, as its connector would have written them: two HubSpot contacts (ids are
  // numbers there), one with a deal, and a Salesforce lead.
  const lead = (id, company, employees) => ({ lead_id: id, created_at: '2026-06-29T14:00:00Z', company, employees, industry: 'software', persona: 'champion', country: 'US', source: 'webinar' });
  await post('/v1/leads', [lead('90101', 'Initech', 800), lead('90102', 'Globex', 120), lead('00Q5g00000ABCDEAAA', 'Umbrella', 2500)]);
  await post('/v1/events', [{ event_id: 'crm-e1', lead_id: '90101', ts: '2026-06-30T13:00:00Z', type: 'pricing_page_view', channel: 'web' }]);
  await post('/v1/stages', [{ lead_id: '90101', ts: '2026-06-30T14:00:00Z', stage: 'mql', reason: 'score', actor: 'baton' }]);
  await post('/v1/deals', [{ deal_id: '7001', lead_id: '90102', created_at: '2026-06-30T12:00:00Z', status: 'open', amount: 12000, currency: 'USD' }]);

  const ext = join(demo, 'extension');
  profile = mkdtempSync(join(tmpdir(), 'baton-ext-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...args, `--disable-extensions-except=${ext}`, `--load-extension=${ext}`],
  });
  await context.route('https://app.hubspot.com/**', (r) => r.fulfill({ path: join(fixtures, 'hubspot-record.html'), contentType: 'text/html' }));
  await context.route('https://acme.lightning.force.com/**', (r) => r.fulfill({ path: join(fixtures, 'salesforce-record.html'), contentType: 'text/html' }));
  let [worker] = context.serviceWorkers();
  worker ??= await context.waitForEvent('serviceworker', { timeout: 15000 });
  extensionId = new URL(worker.url()).host;
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await context?.close();
  if (service) await stopService(service);
  rmSync(workspace, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

const open = (url) => openPage(context, url);

const ext = (path) => `chrome-extension://${extensionId}/${path}`;

async function checkLayout(panel, name) {
  await panel.setViewportSize({ width: 360, height: 800 });
  const widths = await panel.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(widths[0] <= widths[1], `no horizontal scrolling at 360 px: ${widths}`);
  await panel.screenshot({ path: join(artifacts, `${name}.png`) });
  await panel.evaluate(axeSource);
  const violations = await panel.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `axe-core: ${JSON.stringify(violations)}`);
}

test('extension options: test connection says what failed, then saves the service', async () => {
  const page = await open(ext('options.html'));
  const result = async () => {
    await page.waitForFunction(() => !['', 'Testing…'].includes(document.getElementById('result').textContent));
    return page.locator('#result').textContent();
  };
  const closed = await freePort();
  await page.fill('#service', `http://127.0.0.1:${closed}`);
  await page.fill('#token', tokens.rep);
  page.offline = true;
  await page.click('#test');
  assert.match(await result(), /unreachable/);
  await page.fill('#service', base());
  await page.fill('#token', 'baton_rep_00000000_nope');
  await page.click('#test');
  assert.match(await result(), /refused the token \(401\)/);
  page.offline = false;
  await page.fill('#token', tokens.rep);
  await page.fill('#actor', 'ana.ruiz');
  await page.click('#test');
  assert.match(await result(), /^Connected: Baton \d+\.\d+\.\d+, API 1, sqlite store\.$/);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.getElementById('result').textContent.startsWith('Saved.'), null, { timeout: 10_000 });
  const saved = await page.evaluate(() => chrome.storage.sync.get(['service', 'token', 'actor']));
  assert.deepEqual(saved, { service: base(), token: tokens.rep, actor: 'ana.ruiz' });
  await checkLayout(page, 'extension-options');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('extension side panel follows the open CRM record on the service: card, SLA clock, accept, service down', async () => {
  // A HubSpot contact record in one tab; the panel (the same page the side panel shows) in another.
  const crm = await open('https://app.hubspot.com/contacts/1234567/record/0-1/90101');
  const panel = await open(ext('sidepanel.html'));
  await panel.waitForFunction(() => document.body.dataset.lead === '90101', null, { timeout: 15_000 });
  assert.match(await panel.locator('#source').textContent(), /^Baton service: 127\.0\.0\.1:\d+$/);
  assert.equal(await panel.locator('#lead').textContent(), '90101 · Initech');
  // The service's card: the score, its grade, the clock of 4 business hours one hour in.
  const card = await (await fetch(`${base()}/v1/leads/90101`, { headers: { authorization: `Bearer ${tokens.rep}` } })).json();
  assert.equal(Number(await panel.locator('#score').getAttribute('data-score')), card.score.score);
  assert.match(await panel.locator('#grade').textContent(), new RegExp(`^${card.score.grade} ${card.score.priority}`));
  assert.match(await panel.locator('#clock').textContent(), /^On time — first_touch: 3 business h left, due Tue/);
  assert.equal(await panel.locator('#clock').getAttribute('class'), 'clock on-time');
  const verdicts = await panel.$$eval('#qualification li', (l) => l.map((x) => x.textContent));
  assert.ok(verdicts.some((v) => v.startsWith('enterprise-fit: ')), verdicts.join('\n'));
  assert.equal(await panel.locator('#why li').count(), card.score.reasons.length);
  // The draft, checked in the panel against the team's pillars (from the service's baton.toml).
  await panel.fill('#draft', 'Hi Jo, teams close the books in three days with our 200 native integrations.');
  await panel.waitForFunction(() => document.querySelectorAll('#findings li').length > 0);
  const findings = await panel.$$eval('#findings li', (l) => l.map((x) => x.textContent));
  assert.ok(findings.includes('✓ Month-end close: “close the books in three days”'), findings.join('\n'));
  assert.ok(findings.includes('✓ Integrates with your stack: “native integrations”'), findings.join('\n'));
  await checkLayout(panel, 'extension-panel-live');

  // A deal record: the panel shows the deal's lead; a Salesforce lead record: that lead.
  await crm.goto('https://app.hubspot.com/contacts/1234567/record/0-3/7001');
  await panel.waitForFunction(() => document.body.dataset.lead === '90102', null, { timeout: 15_000 });
  await crm.goto('https://acme.lightning.force.com/lightning/r/Lead/00Q5g00000ABCDEAAA/view');
  await panel.waitForFunction(() => document.body.dataset.lead === '00Q5g00000ABCDEAAA', null, { timeout: 15_000 });
  assert.equal(await panel.locator('#clock').textContent(), 'No SLA clock running');
  // Back on the contact, three and a half business hours in: at risk, said in words and color.
  writeFileSync(join(workspace, 'clock'), '2026-06-30T17:30:00Z');
  await crm.goto('https://app.hubspot.com/contacts/1234567/record/0-1/90101');
  await panel.waitForFunction(() => document.body.dataset.lead === '90101', null, { timeout: 15_000 });
  assert.match(await panel.locator('#clock').textContent(), /^At risk — first_touch: 0\.5 business h left/);
  assert.equal(await panel.locator('#clock').getAttribute('class'), 'clock at-risk');

  // Accept: the service records the stage entry.
  await panel.click('#accept');
  await panel.waitForFunction(() => document.getElementById('status').textContent === 'Accepted.');
  const after = await (await fetch(`${base()}/v1/leads/90101`, { headers: { authorization: `Bearer ${tokens.rep}` } })).json();
  const sal = after.timeline.find((t) => t.kind === 'stage' && t.stage === 'sal');
  assert.deepEqual([sal?.ts, sal?.actor], ['2026-06-30T17:30:00Z', 'ana.ruiz']);
  await panel.screenshot({ path: join(artifacts, 'extension-panel-accepted.png') });

  // The service stops: the panel says so plainly, then recovers when it is back.
  panel.offline = true;
  await stopService(service);
  await panel.reload();
  await panel.waitForFunction(() => document.getElementById('status').className === 'problem');
  assert.match(await panel.locator('#status').textContent(), /^The Baton service at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
  await panel.screenshot({ path: join(artifacts, 'extension-panel-unreachable.png') });
  service = await start();
  await panel.reload();
  await panel.waitForFunction(() => document.body.dataset.lead === '90101' && document.getElementById('status').textContent === '', null, { timeout: 15_000 });
  panel.offline = false;
  assert.deepEqual(panel.errors, []);
  assert.deepEqual(crm.errors, []);
});
