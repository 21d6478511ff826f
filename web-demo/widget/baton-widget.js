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
// Consent: with `data-baton-consent="required"` nothing is stored (no localStorage key, no visitor
// id) and nothing is sent (no handoff, no webhook) until `batonWidget.consent(true)`; the score is
// still computed in the page. `consent(true)` stores what the visit recorded and fires a handoff
// that was waiting; `consent(false)` erases everything stored.
import init, { Visitor } from './pkg/index.js';

const started = performance.now();
const tag = document.querySelector('script[data-baton-program]');
const here = new URL('.', import.meta.url);
const store = window.localStorage;
const key = (k) => `baton.${k}`;
const consentRequired = tag?.dataset.batonConsent === 'required';
/** Whether the widget may store and send (always, unless the site requires consent). */
let consented = !consentRequired || store.getItem(key('consent')) === 'granted';
/** A handoff reached before consent, fired when consent is given. */
let waitingHandoff = null;
/** Writes to the browser's storage, only with consent. */
const save = (k, v) => {
  if (consented) store.setItem(key(k), v);
};

const widget = {
  ready: false,
  score: null,
  touches: consented ? JSON.parse(store.getItem(key('touches')) ?? '[]') : [],
  handedOff: consented && store.getItem(key('handoff')) !== null,
  onHandoff: window.batonWidget?.onHandoff ?? null,
  /** Milliseconds from this script's start to the engine fetched, compiled and instantiated. */
  initMs: null,
  /** Milliseconds from this script's start to ready: engine instantiated, configuration fetched and read. */
  startMs: null,
  record,
  consent,
  /** True while the site requires consent and it has not been given. */
  get awaitingConsent() {
    return !consented;
  },
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

let visitorId = consented ? store.getItem(key('visitor')) : null;

function visitor() {
  if (!visitorId) {
    visitorId = `visitor-${crypto.randomUUID()}`;
    save('visitor', visitorId);
  }
  return visitorId;
}

/** The visitor's consent: `true` stores what this visit recorded and sends a waiting handoff;
 *  `false` erases everything stored and keeps the widget to the page. */
function consent(granted) {
  if (!granted) {
    widget.reset();
    store.removeItem(key('consent'));
    consented = !consentRequired;
    return;
  }
  consented = true;
  if (consentRequired) store.setItem(key('consent'), 'granted');
  save('touches', JSON.stringify(widget.touches));
  if (visitorId) save('visitor', visitorId);
  if (waitingHandoff) {
    const [lead, score] = waitingHandoff;
    waitingHandoff = null;
    handoff(lead, score);
  }
}

/** Records a touch of `type` now and rescores. */
function record(type, extra = {}) {
  const touch = { ts: new Date().toISOString(), type, channel: 'web', ...extra };
  widget.touches.push(touch);
  save('touches', JSON.stringify(widget.touches));
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
  if (!consented) {
    waitingHandoff = [lead, score];
    return;
  }
  widget.handedOff = true;
  save('handoff', new Date().toISOString());
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
  engine.set(consented ? JSON.parse(store.getItem(key('attributes')) ?? '{}') : {});
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
