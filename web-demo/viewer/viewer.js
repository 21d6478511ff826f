// The report viewer: files dropped or chosen are analysed by Baton's engine in this page, and the
// report's key numbers and charts are drawn (SVG) from the same report.json the CLI writes.
import init, { Baton } from './pkg/baton_wasm.js';
import { fetchTimeZone } from './pkg/zones.mjs';

const $ = (id) => document.getElementById(id);
const ready = init({ module_or_path: new URL('pkg/baton_wasm_bg.wasm', import.meta.url) });
const SAMPLE = ['baton.toml', 'leads.csv', 'events.csv', 'stages.csv', 'deals.csv', 'assets.csv', 'feedback.csv'];
const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)}%`);
const num = (x) => (x == null ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: 2 }));

async function analyse(files) {
  await ready;
  $('status').textContent = 'analysing…';
  $('status').className = '';
  try {
    const toml = files['baton.toml'] ? new TextDecoder().decode(files['baton.toml']) : '';
    // The engine has no time-zone database: the workspace zone's rules come from pkg/tz/.
    const zone = Baton.timeZoneOf(toml);
    const baton = new Baton(toml, zone && (await fetchTimeZone(zone)));
    const data = Object.fromEntries(Object.entries(files).filter(([n]) => n !== 'baton.toml'));
    baton.loadWorkspace(data);
    const began = performance.now();
    const report = baton.analyze();
    window.batonReport = report;
    show(report);
    $('status').textContent = `analysed ${report.summary.events.toLocaleString('en-US')} events in ${Math.round(performance.now() - began)} ms`;
  } catch (e) {
    $('status').textContent = `${e.message}${e.code ? ` (${e.code})` : ''}`;
    $('status').className = 'error';
  }
}

function show(r) {
  $('report').hidden = false;
  $('title').textContent = `${r.workspace.name} — as of ${r.as_of}`;
  $('kpi-leads').textContent = num(r.summary.leads);
  $('kpi-events').textContent = num(r.summary.events);
  $('kpi-mqls').textContent = num(r.scoring.mqls);
  $('kpi-speed').textContent = num(r.kpis.speed_to_lead_hours);
  $('kpi-sla').textContent = pct(r.kpis.sla_compliance);
  $('kpi-mql-sql').textContent = pct(r.kpis.mql_to_sql);
  $('kpi-win').textContent = pct(r.kpis.win_rate);
  $('kpi-profit').textContent = num(r.kpis.profit);
  $('kpi-rejected').textContent = num(r.data_quality.rejected);
  const f = r.journey.stages.funnel;
  bars($('chart-funnel'), f.stages.map((s, i) => [s, f.total[i]]));
  const linear = r.attribution.by_channel.linear ?? {};
  bars($('chart-attribution'), Object.entries(linear));
  bars($('chart-pipeline'), Object.entries(r.kpis.pipeline_by_source));
}

/** Horizontal bars with a label and the value (data-value carries the exact number). */
function bars(svg, rows) {
  const ns = 'http://www.w3.org/2000/svg';
  const width = Number(svg.getAttribute('width'));
  const max = Math.max(1, ...rows.map(([, v]) => v));
  svg.setAttribute('height', String(rows.length * 22 + 4));
  svg.replaceChildren();
  rows.forEach(([label, value], i) => {
    const y = i * 22 + 2;
    const g = document.createElementNS(ns, 'g');
    g.setAttribute('data-label', label);
    g.setAttribute('data-value', String(value));
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', '0');
    t.setAttribute('y', String(y + 14));
    t.textContent = label;
    const bar = document.createElementNS(ns, 'rect');
    bar.setAttribute('x', '150');
    bar.setAttribute('y', String(y));
    bar.setAttribute('height', '18');
    bar.setAttribute('width', String(Math.max(1, ((width - 260) * value) / max)));
    bar.setAttribute('fill', '#0b5394');
    const v = document.createElementNS(ns, 'text');
    v.setAttribute('x', String(150 + Math.max(1, ((width - 260) * value) / max) + 6));
    v.setAttribute('y', String(y + 14));
    v.textContent = num(value);
    g.append(t, bar, v);
    svg.append(g);
  });
}

async function readFiles(list) {
  const files = {};
  for (const f of list) files[f.name] = new Uint8Array(await f.arrayBuffer());
  return files;
}

$('files').addEventListener('change', async (e) => analyse(await readFiles(e.target.files)));
$('sample').addEventListener('click', async () => {
  const files = {};
  for (const name of SAMPLE) files[name] = new Uint8Array(await (await fetch(`sample/${name}`)).arrayBuffer());
  analyse(files);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  analyse(await readFiles(e.dataTransfer.files));
});
ready.then(() => { document.body.dataset.ready = 'true'; });
