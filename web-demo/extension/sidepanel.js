// The CRM side panel. With a service configured (options page) it shows the lead of the CRM
// record open in the active tab (content.js → background.js → session storage): the service's
// card — score and why, verdicts with the plugins' reasons, what to ask next, the SLA clock in
// business hours, the route, next-best content, the timeline — with Accept and Reject, refreshed
// every 30 s so the clock ticks. Without one it runs on the bundled sample workspace, labelled
// "sample data", the same answers computed in the page by the same engine. The draft check runs
// in the page either way, with the service's baton.toml (GET /v1/config) or the sample's.
import init, { Baton } from './pkg/baton_wasm.js';
import { fetchTimeZone } from './pkg/zones.mjs';
import { parseCsv, typed } from './csv.js';
import { ServiceError, call, serviceConfig, settings } from './service.js';

const $ = (id) => document.getElementById(id);
const FILES = ['leads.csv', 'events.csv', 'stages.csv', 'deals.csv', 'assets.csv', 'feedback.csv'];
/** A running clock within this share of its limit is at risk. */
const AT_RISK_SHARE = 0.25;
const REFRESH_MS = 30_000;
/** The card shown; `current` too when it is the service's (the one Accept and Reject answer). */
let baton, service, shown, current, refresh;

function li(text, cls) {
  const el = document.createElement('li');
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

const round = (x) => Math.round(x * 10) / 10;

/** Says something in the panel's status line (`problem` for what went wrong). */
function say(text, problem = false) {
  $('status').textContent = text;
  $('status').className = problem ? 'problem' : '';
}

/** The headline of the SLA clocks: the most urgent (a running one past its limit, else the
 *  running one with the least of its limit left, else one that stopped), met / on time / at risk
 *  / breached in color and in words. */
function headlineClock(clocks) {
  const share = (k) => k.remaining_business_hours / k.within_business_hours;
  const running = clocks.filter((k) => k.status === 'pending' || (k.status === 'breached' && k.stopped == null));
  const c = running.sort((a, b) => share(a) - share(b))[0] ?? clocks.find((k) => k.status === 'breached') ?? clocks.find((k) => k.status === 'met');
  if (!c) return ['No SLA clock running', ''];
  const of = `${c.within_business_hours} business h`;
  if (c.status === 'met') return [`Met — ${c.sla} in ${round(c.business_hours)} of ${of}`, 'met'];
  if (c.status === 'breached') {
    const over = c.remaining_business_hours != null ? `${round(-c.remaining_business_hours)} business h over` : `took ${round(c.business_hours)} of ${of}`;
    return [`Breached — ${c.sla}, ${over}`, 'breached'];
  }
  const left = c.remaining_business_hours;
  const atRisk = left <= c.within_business_hours * AT_RISK_SHARE;
  const due = c.deadline ? `, due ${new Date(c.deadline).toLocaleString('en', { weekday: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })}` : '';
  return [`${atRisk ? 'At risk' : 'On time'} — ${c.sla}: ${round(left)} business h left${due}`, atRisk ? 'at-risk' : 'on-time'];
}

function clockLine(c) {
  if (c.status === 'not_started') return li(`${c.sla}: not started`);
  const left = c.remaining_business_hours != null ? ` (${round(c.remaining_business_hours)} left)` : '';
  return li(`${c.sla}: ${round(c.business_hours)} of ${c.within_business_hours} business hours — ${c.status}${left}`, c.status);
}

/** Shows a card: the service's, or one the page computed in the same shape. */
function render(card) {
  shown = card;
  const s = card.score;
  const name = [card.attributes?.company, card.attributes?.title].filter(Boolean).join(' — ');
  $('lead').textContent = `${card.lead_id}${name ? ` · ${name}` : ''}`;
  $('score').textContent = `${round(s.score)}`;
  $('score').dataset.score = String(s.score);
  $('grade').textContent = `${s.grade ?? ''}${s.priority ? ` ${s.priority}` : ''}${s.mql ? ' · MQL' : ''}`;
  const [clock, cls] = headlineClock(card.sla);
  $('clock').textContent = clock;
  $('clock').className = `clock ${cls}`;
  $('why').replaceChildren(
    ...s.reasons.map((r) => li(`${r.rule} +${round(r.points)}`)),
    ...(s.undecided ?? []).map((u) => li(`${u.rule}: ${u.missing} unknown`, 'missed')),
    ...(s.warnings ?? []).map((w) => li(`${w.inputs.join(', ')} ${w.field}: ${w.example}`, 'warning')),
  );
  $('sla').replaceChildren(...card.sla.map(clockLine));
  $('qualification').replaceChildren(
    ...card.verdicts.map((v) => li(`${v.set}: ${v.qualified ? 'qualified' : 'not qualified'} (passed ${v.passed.join(', ') || 'none'})`, v.qualified ? 'met' : '')),
    ...(card.plugins ?? []).flatMap((p) => (p.reasons ?? []).map((r) => li(`${p.plugin}: ${r}`))),
    ...(card.route_to ? [li(`route to ${card.route_to}`)] : []),
  );
  const asks = card.verdicts.flatMap((v) => v.missing_data.map((m) => li(m.ask ?? `${m.criterion}: find out ${m.missing}`)));
  $('ask').replaceChildren(...asks);
  $('ask-title').hidden = asks.length === 0;
  $('timeline').replaceChildren(...card.timeline.map((t) => li(t.kind === 'stage'
    ? `${t.ts.slice(0, 16).replace('T', ' ')} → ${t.stage}${t.reason ? ` (${t.reason})` : ''}`
    : `${t.ts.slice(0, 16).replace('T', ' ')} ${t.type} (${t.channel})`)));
  $('content').replaceChildren(...card.next_best_content.map((c) => li(`${c.title} — ${c.reasons.join('; ')}`)));
  check();
}

// ---------------------------------------------------------------------------------------------
// On the service.

/** The lead id a CRM record is, asking the service for a deal's. */
async function leadOf(record) {
  if (record.object === 'deal') return (await call(service, `/v1/deals/${encodeURIComponent(record.id)}`)).lead_id;
  return record.id;
}

async function showRecord(record) {
  clearTimeout(refresh);
  current = null;
  $('actions').hidden = true;
  if (!record?.id) {
    say('Open a contact, lead or deal record in HubSpot or Salesforce.');
    return;
  }
  try {
    const lead = await leadOf(record);
    const card = await call(service, `/v1/leads/${encodeURIComponent(lead)}`);
    current = card;
    say('');
    render(card);
    $('actions').hidden = false;
    document.body.dataset.lead = card.lead_id;
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    say(e.kind === 'missing' ? `This ${record.object} (${record.crm} ${record.id}) is not a lead Baton knows.` : e.message, e.kind !== 'missing');
  }
  refresh = setTimeout(() => showRecord(record), REFRESH_MS);
}

/** Accept (`true`) or reject with the reason typed. */
async function answer(accept) {
  if (!current) return;
  const body = accept ? { actor: service.actor } : { actor: service.actor, reason: $('reason').value.trim() };
  try {
    const a = await call(service, `/v1/leads/${encodeURIComponent(current.lead_id)}/${accept ? 'accept' : 'reject'}`, { method: 'POST', body });
    if (a.rejected > 0) throw new ServiceError('failed', `The service did not take it: ${JSON.stringify(a.rows[0].problems)}`);
    say(accept ? 'Accepted.' : `Rejected: ${body.reason}.`);
    $('reason').value = '';
    $('reject').disabled = true;
    const record = (await chrome.storage.session.get('record')).record;
    await showRecord(wanted() ?? record);
    say(accept ? 'Accepted.' : `Rejected: ${body.reason}.`);
  } catch (e) {
    say(e.message, true);
  }
}

/** `?lead=ID` when the panel is opened on one lead. */
function wanted() {
  const lead = new URLSearchParams(location.search).get('lead');
  return lead ? { crm: 'baton', object: 'lead', id: lead } : null;
}

async function live() {
  $('source').textContent = `Baton service: ${new URL(service.service).host}`;
  $('accept').addEventListener('click', () => answer(true));
  $('reject').addEventListener('click', () => answer(false));
  $('reason').addEventListener('input', () => { $('reject').disabled = !$('reason').value.trim(); });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'session' && changes.record && !wanted()) showRecord(changes.record.newValue);
  });
  await showRecord(wanted() ?? (await chrome.storage.session.get('record')).record);
}

// ---------------------------------------------------------------------------------------------
// On the bundled sample.

let sample;

async function loadSample(toml, texts) {
  const files = Object.fromEntries(FILES.map((f, i) => [f, texts[i]]));
  baton.loadWorkspace(files);
  const leads = new Map(parseCsv(files['leads.csv']).map((r) => [r.lead_id, typed(r)]));
  const events = new Map();
  for (const e of parseCsv(files['events.csv'])) {
    if (!events.has(e.lead_id)) events.set(e.lead_id, []);
    events.get(e.lead_id).push(typed(e));
  }
  return { asOf: baton.analyze().as_of, leads, events };
}

/** The sample lead's card, computed in the page (the service's card has the same shape). */
function sampleCard(id) {
  const { asOf, leads, events } = sample;
  const lead = leads.get(id);
  const touches = events.get(id) ?? [];
  const q = baton.qualify(lead, touches, asOf);
  return {
    lead_id: id,
    attributes: lead,
    score: baton.scoreLead(lead, touches, asOf),
    verdicts: q.verdicts,
    route_to: q.route_to,
    sla: baton.slaClock(id, asOf),
    timeline: touches.map((e) => ({ kind: 'event', ...e })),
    next_best_content: baton.nextBestContent(id, asOf),
  };
}

function sampleMode(toml, texts) {
  return loadSample(toml, texts).then((s) => {
    sample = s;
    $('source').textContent = 'Sample data — set your Baton service in the options';
    $('source').className = 'source sample';
    const select = $('contact');
    for (const id of [...s.events.keys()].filter((id) => s.leads.has(id)).sort().slice(0, 200)) {
      select.append(new Option(`${id} — ${s.leads.get(id).company ?? ''}`, id));
    }
    const lead = wanted()?.id;
    if (lead && s.leads.has(lead)) {
      if (![...select.options].some((o) => o.value === lead)) select.append(new Option(lead, lead));
      select.value = lead;
    }
    $('picker').hidden = false;
    select.addEventListener('change', () => render(sampleCard(select.value)));
    render(sampleCard(select.value));
    say(`as of ${s.asOf.slice(0, 10)}`);
  });
}

// ---------------------------------------------------------------------------------------------

function check() {
  const text = $('draft').value;
  if (!text.trim()) {
    $('findings').replaceChildren();
    $('message-score').textContent = '';
    return;
  }
  const persona = shown?.attributes?.persona ?? '';
  const c = baton.checkMessage(text, persona);
  $('message-score').textContent = `message score ${c.score}/100`;
  $('message-score').dataset.score = String(c.score);
  $('findings').replaceChildren(
    ...c.pillars_hit.map((p) => {
      const quotes = [...new Set(p.evidence.map((e) => text.slice(e.start, e.end)))];
      return li(`✓ ${p.pillar}: “${quotes.join('”, “')}”`, 'met');
    }),
    ...c.pillars_missed.map((p) => li(`missing pillar: ${p}`, 'missed')),
    ...c.claims.map((k) => li(`${k.kind} claim: “${text.slice(k.span.start, k.span.end)}” (${k.claim})`, 'claim')),
    ...c.conflicts.map((k) => li(`conflicting number: “${text.slice(k.span.start, k.span.end)}”`, 'claim')),
  );
}

async function start() {
  await init({ module_or_path: new URL('pkg/baton_wasm_bg.wasm', import.meta.url) });
  service = await settings();
  // With a service, the engine runs the service's baton.toml (the team's messaging pillars);
  // without one, the bundled sample's.
  const teams = service && (await serviceConfig(service));
  const [toml, ...texts] = teams
    ? [teams]
    : await Promise.all(['baton.toml', ...FILES].map((f) => fetch(`sample/${f}`).then((r) => r.text())));
  // The engine has no time-zone database: the workspace zone's rules come from pkg/tz/.
  const zone = Baton.timeZoneOf(toml);
  baton = new Baton(toml, zone && (await fetchTimeZone(zone)));
  $('draft').addEventListener('input', check);
  if (service) await live();
  else await sampleMode(toml, texts);
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  say(`error: ${e.message}`, true);
  console.error(e);
});
