// The site widget on the live service, in Debian's headless Chromium: the real `baton serve` on
// loopback (web-demo/widget's workspace: page_view 5, pricing 20, webinar 15, 200+ employees 10;
// threshold 40; visitors routed to ana.ruiz, whose booking link is set) and the demo site's live
// pages (web-demo/site/live/) served locally with the service's URL and a site key for their
// origin. A visitor browses, the touches reach the store once each, the contact form identifies
// the visitor, the service routes the lead and the widget offers the owner's booking link. Then
// the service stops: touches queue in the page, and drain, each once, when it is back.
// Screenshots go to target/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../web-demo/serve.mjs';
import { args, artifacts, bin, demo, executablePath, freePort, openPage, root, startService, stopService } from './support.mjs';

let site, browser, workspace, port, service, tokens;

const base = () => `http://127.0.0.1:${port}`;
const origin = () => `http://127.0.0.1:${site.address().port}`;

async function read(path) {
  const r = await fetch(`${base()}${path}`, { headers: { authorization: `Bearer ${tokens.read}` } });
  return { status: r.status, body: await r.json() };
}

before(async () => {
  site = await serve(demo);
  workspace = mkdtempSync(join(tmpdir(), 'baton-site-'));
  copyFileSync(join(root, 'web-demo', 'widget', 'baton.toml'), join(workspace, 'baton.toml'));
  const token = (...a) => execFileSync(bin, ['serve', 'token', 'create', workspace, ...a], { encoding: 'utf8' }).trim();
  tokens = { site: token('--scope', 'site', '--origin', origin()), read: token('--scope', 'read') };
  port = await freePort();
  service = (await startService(workspace, { port })).child;
  site.site = { service: base(), siteKey: tokens.site };
  browser = await chromium.launch({ executablePath, args });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  site?.close();
  if (service) await stopService(service);
  rmSync(workspace, { recursive: true, force: true });
});

async function visit(page, path) {
  await page.goto(`${origin()}${path}`);
  await page.waitForFunction(() => window.batonWidget?.ready && window.batonWidget.score);
}

const drained = (page) => page.waitForFunction(() => window.batonWidget.queue.pending === 0, null, { timeout: 40_000 });

/** The event types of the lead's timeline, in order. */
async function touchesOf(lead) {
  const card = await read(`/v1/leads/${lead}`);
  assert.equal(card.status, 200, JSON.stringify(card.body));
  return card.body.timeline.filter((t) => t.kind === 'event').map((t) => t.type);
}

test('live widget: touches reach the service once, the form identifies, the service routes and the widget offers the booking link', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  await visit(page, '/site/live/index.html');
  const visitor = await page.evaluate(() => window.batonWidget.visitorId);
  assert.match(visitor, /^visitor-[0-9a-f-]{36}$/);
  // The next page at once: the first touch leaves by beacon as the page hides, and again from
  // the next page's outbox; the service counts it once.
  await visit(page, '/site/live/pricing.html');
  await drained(page);
  assert.equal(await page.evaluate(() => window.batonWidget.score.score), 25);
  // Not a lead yet: the service holds the touches and has no decision.
  const before = await (await fetch(`${base()}/v1/widget/visitors/${visitor}?site_key=${tokens.site}`, { headers: { origin: origin() } })).json();
  assert.deepEqual(before, { visitor_id: visitor, identified: false, talk_to_sales: false, booking_url: null });
  assert.equal(await page.locator('#baton-handoff').count(), 0);

  // The contact form: the visitor says who it is (500 employees: +10 in the page at once).
  await visit(page, '/site/live/contact.html');
  await page.fill('input[name=email]', 'jo.park@initech.example');
  await page.fill('input[name=company]', 'Initech');
  await page.fill('input[name=employees]', '500');
  await page.screenshot({ path: join(artifacts, 'widget-live-contact.png') });
  await page.click('button[type=submit]');
  await page.waitForFunction(() => window.batonWidget.identified, null, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => window.batonWidget.score.score), 40);
  // The service's decision, not the page's: routed to ana.ruiz, whose booking link is offered.
  await page.waitForSelector('#baton-handoff', { timeout: 30_000 });
  assert.equal(await page.locator('#baton-handoff').getAttribute('data-decided-by'), 'service');
  assert.equal(await page.locator('#baton-handoff a').getAttribute('href'), 'https://cal.example.com/ana-ruiz');
  await page.screenshot({ path: join(artifacts, 'widget-live-handoff.png') });

  // In the store: the visitor is the lead, each touch once, the handoff routed and its clock running.
  assert.deepEqual(await touchesOf(visitor), ['page_view', 'pricing_page_view', 'page_view']);
  const card = await read(`/v1/leads/${visitor}`);
  assert.equal(card.body.attributes.company, 'Initech');
  assert.equal(card.body.score.score, 40);
  const handoff = await read(`/v1/leads/${visitor}/handoff`);
  assert.equal(handoff.body.handoff.owner, 'ana.ruiz');
  assert.equal(handoff.body.handoff.clocks[0].sla, 'first_touch');
  // Nothing of the form went to the demo site's own server but the form post itself.
  const posted = site.posts.filter((p) => p.path === '/hooks/contact');
  assert.equal(posted.length, 1);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('live widget offline: with the service stopped touches queue in the page, then go once each when it is back', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  await visit(page, '/site/live/index.html');
  await drained(page);
  const visitor = await page.evaluate(() => window.batonWidget.visitorId);
  page.offline = true;
  await stopService(service);
  // Three touches while the service is down: kept, and said to be unreachable.
  await visit(page, '/site/live/webinar.html');
  await page.click('#register');
  await page.waitForFunction(() => window.batonWidget.queue.error !== null, null, { timeout: 10_000 });
  assert.match(await page.evaluate(() => window.batonWidget.queue.error), /unreachable/);
  assert.equal(await page.evaluate(() => window.batonWidget.queue.pending), 2);
  // A navigation while down: the beacon fails, the queue survives in localStorage.
  await visit(page, '/site/live/pricing.html');
  assert.equal(await page.evaluate(() => window.batonWidget.queue.pending), 3);
  await page.screenshot({ path: join(artifacts, 'widget-live-offline.png') });
  // Back: the outbox's next retry (≤ 8 s after the last failure) sends them.
  service = (await startService(workspace, { port })).child;
  await drained(page);
  page.offline = false;
  assert.equal(await page.evaluate(() => window.batonWidget.queue.error), null);
  const answer = await page.evaluate(() => window.batonWidget.identify({ email: 'mia.chen@globex.example' }));
  assert.deepEqual(answer, { visitor_id: visitor, identified: true, touches: 4 });
  assert.deepEqual(await touchesOf(visitor), ['page_view', 'page_view', 'webinar_register', 'pricing_page_view']);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('live widget with consent required: no request reaches the service until consent, then the visit goes once', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const toService = [];
  page.on('request', (r) => { if (r.url().startsWith(base())) toService.push(r.url()); });
  await visit(page, '/site/live/consent.html');
  await page.evaluate(() => window.batonWidget.record('pricing_page_view'));
  // The program comes from the service (it is the site's, not the visitor's); nothing else does.
  await page.waitForTimeout(1500);
  assert.deepEqual(toService.map((u) => new URL(u).pathname), ['/v1/widget/program']);
  assert.equal(await page.evaluate(() => window.batonWidget.queue.pending), 2);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('baton.'))), []);
  await assert.rejects(page.evaluate(() => Promise.race([
    window.batonWidget.identify({ email: 'waits@example.com' }),
    new Promise((_, no) => setTimeout(() => no(new Error('still waiting for consent')), 300)),
  ])), /still waiting for consent/);
  // Consent: the two touches go, then the identify that waited.
  await page.evaluate(() => window.batonWidget.consent(true));
  await drained(page);
  await page.waitForFunction(() => window.batonWidget.identified, null, { timeout: 20_000 });
  const visitor = await page.evaluate(() => window.batonWidget.visitorId);
  assert.deepEqual(await touchesOf(visitor), ['page_view', 'pricing_page_view']);
  assert.deepEqual(page.errors, []);
  await context.close();
});
