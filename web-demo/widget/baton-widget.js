// Baton's marketing-site widget. One tag:
//   <script type="module" src="/widget/baton-widget.js" data-baton-program="/widget/program.bin"
//           data-baton-webhook="/hooks/handoff"></script>
// It records the visitor's touches in this browser (localStorage), scores them live with the
// widget build of Baton's engine running the site's compiled scoring program (`baton widget
// build`, or the service's GET /v1/widget/program), keeping one visitor whose touches are added as
// they happen, and when the score reaches the MQL threshold shows "talk to sales" and emits a handoff:
// a `baton:handoff` event on window, `window.batonWidget.onHandoff(detail)` if set, and a POST of
// the detail to the webhook URL if given. A page's touch type is `<body data-baton-type>`
// (default `page_view`); clicks on `[data-baton-type]` elements record their type.
import init, { Visitor } from './pkg/index.js';

const started = performance.now();
const tag = document.querySelector('script[data-baton-program]');
const here = new URL('.', import.meta.url);
const store = window.localStorage;
const key = (k) => `baton.${k}`;

const widget = {
  ready: false,
  score: null,
  touches: JSON.parse(store.getItem(key('touches')) ?? '[]'),
  handedOff: store.getItem(key('handoff')) !== null,
  onHandoff: window.batonWidget?.onHandoff ?? null,
  /** Milliseconds from this script's start to the engine fetched, compiled and instantiated. */
  initMs: null,
  /** Milliseconds from this script's start to ready: engine instantiated, configuration fetched and read. */
  startMs: null,
  record,
  reset() {
    for (const k of ['touches', 'visitor', 'handoff', 'attributes']) store.removeItem(key(k));
    widget.touches = [];
    widget.handedOff = false;
    engine?.clearTouches();
  },
};
window.batonWidget = widget;

/** The visitor under the program: its attributes and touches, kept between scores. */
let engine;

function visitor() {
  let id = store.getItem(key('visitor'));
  if (!id) {
    id = `visitor-${crypto.randomUUID()}`;
    store.setItem(key('visitor'), id);
  }
  return id;
}

/** Records a touch of `type` now and rescores. */
function record(type, extra = {}) {
  const touch = { ts: new Date().toISOString(), type, channel: 'web', ...extra };
  widget.touches.push(touch);
  store.setItem(key('touches'), JSON.stringify(widget.touches));
  engine.addTouch(touch);
  rescore();
}

function rescore() {
  const result = engine.score();
  widget.score = result;
  document.dispatchEvent(new CustomEvent('baton:score', { detail: result }));
  if (result.mql && !widget.handedOff) handoff({ lead_id: visitor() }, result);
}

function handoff(lead, score) {
  widget.handedOff = true;
  store.setItem(key('handoff'), new Date().toISOString());
  const detail = {
    lead_id: lead.lead_id,
    score: score.score,
    reasons: score.reasons.map((r) => `${r.rule} +${r.points}`),
    touches: widget.touches,
    at: new Date().toISOString(),
  };
  showPanel(detail);
  window.dispatchEvent(new CustomEvent('baton:handoff', { detail }));
  if (typeof widget.onHandoff === 'function') widget.onHandoff(detail);
  const hook = tag?.dataset.batonWebhook;
  if (hook) {
    fetch(new URL(hook, location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'handoff', ...detail }),
      keepalive: true,
    }).catch((e) => console.warn('baton widget: webhook failed', e));
  }
}

function showPanel(detail) {
  const panel = document.createElement('aside');
  panel.id = 'baton-handoff';
  panel.setAttribute('role', 'dialog');
  panel.style.cssText = 'position:fixed;right:1rem;bottom:1rem;max-width:18rem;padding:1rem;background:#0b5394;color:#fff;border-radius:.5rem;font:14px system-ui;box-shadow:0 4px 16px #0004';
  panel.innerHTML = `<strong>Talk to sales?</strong><p>You look like you're evaluating us seriously — a specialist can answer in minutes.</p>
    <button type="button" style="font:inherit;padding:.4rem .8rem">Book a call</button>`;
  panel.dataset.score = String(detail.score);
  document.body.append(panel);
}

async function start() {
  // The program is the site's [scoring], compiled: the widget reads no configuration.
  const programUrl = new URL(tag?.dataset.batonProgram ?? 'program.bin', location.href);
  const [program] = await Promise.all([
    fetch(programUrl).then((r) => {
      if (!r.ok) throw new Error(`baton widget: ${programUrl} answered ${r.status}`);
      return r.arrayBuffer();
    }),
    init({ module_or_path: new URL('pkg/baton_widget_bg.wasm', here) }).then(() => {
      widget.initMs = performance.now() - started;
    }),
  ]);
  engine = new Visitor(program);
  engine.set(JSON.parse(store.getItem(key('attributes')) ?? '{}'));
  for (const touch of widget.touches) engine.addTouch(touch);
  widget.startMs = performance.now() - started;
  widget.ready = true;
  document.addEventListener('click', (e) => {
    const el = e.target.closest?.('[data-baton-type]');
    if (el && el !== document.body) record(el.dataset.batonType);
  });
  record(document.body.dataset.batonType || 'page_view', { campaign: new URLSearchParams(location.search).get('utm_campaign') ?? undefined });
  document.dispatchEvent(new CustomEvent('baton:ready', { detail: { initMs: widget.initMs, startMs: widget.startMs } }));
}

start().catch((e) => console.error(e));
