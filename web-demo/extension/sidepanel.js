// The CRM side panel: everything about one contact, computed locally by Baton's engine from the
// workspace bundled with the extension (in a CRM integration the contact comes from the page).
import init, { Baton } from './pkg/baton_wasm.js';
import { fetchTimeZone } from './pkg/zones.mjs';
import { parseCsv, typed } from './csv.js';

const $ = (id) => document.getElementById(id);
const FILES = ['leads.csv', 'events.csv', 'stages.csv', 'deals.csv', 'assets.csv', 'feedback.csv'];
let baton, asOf, leads, eventsByLead;

function li(text, cls) {
  const el = document.createElement('li');
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

async function start() {
  await init({ module_or_path: new URL('pkg/baton_wasm_bg.wasm', import.meta.url) });
  const [toml, ...texts] = await Promise.all(
    ['baton.toml', ...FILES].map((f) => fetch(`sample/${f}`).then((r) => r.text())),
  );
  // The engine has no time-zone database: the workspace zone's rules come from pkg/tz/.
  const zone = Baton.timeZoneOf(toml);
  baton = new Baton(toml, zone && (await fetchTimeZone(zone)));
  const files = Object.fromEntries(FILES.map((f, i) => [f, texts[i]]));
  baton.loadWorkspace(files);
  asOf = baton.analyze().as_of;
  leads = new Map(parseCsv(files['leads.csv']).map((r) => [r.lead_id, typed(r)]));
  eventsByLead = new Map();
  for (const e of parseCsv(files['events.csv'])) {
    if (!eventsByLead.has(e.lead_id)) eventsByLead.set(e.lead_id, []);
    eventsByLead.get(e.lead_id).push(typed(e));
  }
  const select = $('contact');
  for (const id of [...eventsByLead.keys()].filter((id) => leads.has(id)).sort().slice(0, 200)) {
    select.append(new Option(`${id} — ${leads.get(id).company ?? ''}`, id));
  }
  const wanted = new URLSearchParams(location.search).get('lead');
  if (wanted && leads.has(wanted)) {
    if (![...select.options].some((o) => o.value === wanted)) select.append(new Option(wanted, wanted));
    select.value = wanted;
  }
  select.addEventListener('change', show);
  $('draft').addEventListener('input', check);
  show();
  $('status').textContent = `as of ${asOf.slice(0, 10)}`;
  document.body.dataset.ready = 'true';
}

function show() {
  const id = $('contact').value;
  const lead = leads.get(id);
  const events = eventsByLead.get(id) ?? [];
  const s = baton.scoreLead(lead, events, asOf);
  $('score').textContent = `${s.score.toFixed(1)} points — ${s.mql ? 'MQL' : 'not yet an MQL'}${s.priority ? `, priority ${s.priority}` : ''}`;
  $('score').dataset.score = String(s.score);
  $('why').replaceChildren(
    ...s.reasons.map((r) => li(`${r.rule} +${Math.round(r.points * 10) / 10}`)),
    ...s.undecided.map((u) => li(`${u.rule}: ${u.missing} unknown`, 'missed')),
    // Values the engine used with a caveat (a number it could not read, a DST-adjusted time).
    ...s.warnings.map((w) => li(`${w.inputs.join(', ')} ${w.field}: ${w.example}`, 'warning')),
  );
  $('sla').replaceChildren(
    ...baton.slaClock(id, asOf).map((c) =>
      li(c.status === 'not_started'
        ? `${c.sla}: not started`
        : `${c.sla}: ${c.business_hours} of ${c.within_business_hours} business hours — ${c.status}` +
          (c.remaining_business_hours != null ? ` (${c.remaining_business_hours} left)` : ''), c.status)),
  );
  const q = baton.qualify(lead, events, asOf);
  $('qualification').replaceChildren(
    ...q.verdicts.map((v) => li(`${v.set}: ${v.qualified ? 'qualified' : 'not qualified'} (passed ${v.passed.join(', ') || 'none'})`)),
    ...(q.route_to ? [li(`route to ${q.route_to}`)] : []),
  );
  $('ask').replaceChildren(
    ...q.verdicts.flatMap((v) => v.missing_data.map((m) => li(m.ask ?? `${m.criterion}: find out ${m.missing}`))),
  );
  $('timeline').replaceChildren(...events.map((e) => li(`${e.ts.slice(0, 16).replace('T', ' ')} ${e.type} (${e.channel})`)));
  $('content').replaceChildren(
    ...baton.nextBestContent(id, asOf).map((c) => li(`${c.title} — ${c.reasons.join('; ')}`)),
  );
  check();
}

function check() {
  const text = $('draft').value;
  if (!text.trim()) {
    $('findings').replaceChildren();
    $('message-score').textContent = '';
    return;
  }
  const persona = leads.get($('contact').value)?.persona ?? '';
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

start().catch((e) => {
  $('status').textContent = `error: ${e.message}`;
  console.error(e);
});
