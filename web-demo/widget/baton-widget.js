// Baton's marketing-site widget. One tag, with the site's service and public site key:
//   <script type="module" src="/widget/baton-widget.js"
//           data-baton-service="https://baton.example.com" data-baton-site-key="baton_site_…"></script>
// or, with no service, a program file and an optional webhook (the offline demo):
//   <script type="module" src="/widget/baton-widget.js" data-baton-program="/widget/program.bin"
//           data-baton-webhook="/hooks/handoff"></script>
//
// It records the visitor's touches (a page's type is `<body data-baton-type>`, default
// `page_view`; clicks on `[data-baton-type]` elements record theirs) and scores them at once in
// the page with the widget build of Baton's engine running the site's compiled scoring program
// (the service's GET /v1/widget/program, or the file `baton widget build` wrote): `baton:score`.
//
// With a service, every touch also goes to it (./outbox.js: batched, a beacon when the page
// hides, queued while offline, each once), `batonWidget.identify({email, …})` — or submitting a
// `<form data-baton-identify>` — ties the visitor to a lead, and the handoff that counts is the
// service's: when it has routed the visitor's lead, the widget shows "talk to sales" with the
// owner's booking link (`[routing.booking]`). Without one, the page's own score decides.
// Either way the handoff is a `baton:handoff` event on window and `batonWidget.onHandoff(detail)`.
//
// Consent: with `data-baton-consent="required"` nothing is stored (no localStorage key, not even
// a visitor id) and nothing is sent until `batonWidget.consent(true)`; the score is still
// computed in the page. `consent(true)` stores what the visit recorded, sends it and fires a
// handoff that was waiting; `consent(false)` erases everything stored and queued.
import init, { Visitor } from './pkg/index.js';

const started = performance.now();
const tag = document.querySelector('script[data-baton-program], script[data-baton-service]');
const here = new URL('.', import.meta.url);
const config = {
  service: tag?.dataset.batonService || null,
  siteKey: tag?.dataset.batonSiteKey || null,
  webhook: tag?.dataset.batonWebhook || null,
  consentRequired: tag?.dataset.batonConsent === 'required',
};
const live = Boolean(config.service && config.siteKey);

/** The browser's storage under `baton.*`, written only with consent. */
const storage = {
  consented: !config.consentRequired || localStorage.getItem('baton.consent') === 'granted',
  allowed() {
    return this.consented;
  },
  load(k) {
    if (!this.consented) return null;
    try {
      return JSON.parse(localStorage.getItem(`baton.${k}`) ?? 'null');
    } catch {
      return null;
    }
  },
  save(k, v) {
    if (this.consented) localStorage.setItem(`baton.${k}`, JSON.stringify(v));
  },
  remove(k) {
    localStorage.removeItem(`baton.${k}`);
  },
};

/** The visitor under the program: its attributes and touches, kept between scores. */
let engine;
/** A handoff reached before consent, fired when consent is given. */
let waitingHandoff = null;
/** An identify waiting for consent. */
let waitingIdentify = null;

const widget = {
  ready: false,
  score: null,
  touches: storage.load('touches') ?? [],
  handedOff: storage.load('handoff') !== null,
  /** Set when the service has answered an identify for this visitor. */
  identified: storage.load('identified') === true,
  /** What the service last said of this visitor (`talk_to_sales`, `booking_url`). */
  decision: null,
  onHandoff: window.batonWidget?.onHandoff ?? null,
  /** Touches on their way to the service (`pending`, `sent`, `refused`, `dropped`, `error`). */
  queue: null,
  /** Milliseconds from this script's start to the engine fetched, compiled and instantiated. */
  initMs: null,
  /** Milliseconds from this script's start to ready: engine instantiated, program fetched and read. */
  startMs: null,
  record,
  consent,
  identify,
  /** Sends what is queued now. */
  flush: () => widget.queue?.flush(),
  /** True while the site requires consent and it has not been given. */
  get awaitingConsent() {
    return !storage.consented;
  },
  /** This browser's visitor id (made on first use). */
  get visitorId() {
    return visitor();
  },
  /** Starts a new visitor (another person on this browser); queued touches still go. */
  reset() {
    for (const k of ['touches', 'visitor', 'handoff', 'attributes', 'identified', 'identify']) storage.remove(k);
    widget.touches = [];
    widget.handedOff = false;
    widget.identified = false;
    widget.decision = null;
    visitorId = null;
    engine?.clearTouches();
  },
};
window.batonWidget = widget;

let visitorId = storage.load('visitor');

function visitor() {
  if (!visitorId) {
    visitorId = `visitor-${crypto.randomUUID()}`;
    storage.save('visitor', visitorId);
  }
  return visitorId;
}

/** The visitor's consent: `true` stores what this visit recorded, sends it and a waiting
 *  handoff or identify; `false` erases everything stored and queued. */
function consent(granted) {
  if (!granted) {
    widget.reset();
    widget.queue?.clear();
    storage.remove('program');
    storage.remove('consent');
    storage.consented = !config.consentRequired;
    return;
  }
  storage.consented = true;
  if (config.consentRequired) localStorage.setItem('baton.consent', 'granted');
  storage.save('touches', widget.touches);
  if (visitorId) storage.save('visitor', visitorId);
  if (widget.queue) {
    widget.queue.save();
    widget.queue.flush();
  }
  if (waitingIdentify) {
    const [fields, settle] = waitingIdentify;
    waitingIdentify = null;
    identify(fields).then(...settle);
  }
  if (waitingHandoff) {
    const detail = waitingHandoff;
    waitingHandoff = null;
    handoff(detail);
  }
}

/** Records a touch of `type` now, rescores, and (with a service) queues it. */
function record(type, extra = {}) {
  const touch = { ts: new Date().toISOString(), type, channel: 'web', ...extra };
  widget.touches.push(touch);
  storage.save('touches', widget.touches);
  engine.addTouch(touch);
  const score = rescore();
  widget.queue?.add({ event_id: crypto.randomUUID(), lead_id: visitor(), ...touch }, { now: score.mql });
}

function rescore() {
  const result = engine.score();
  widget.score = result;
  document.dispatchEvent(new CustomEvent('baton:score', { detail: result }));
  // Without a service the page's score decides; with one, the service does (it runs the
  // plugins and routes), and a score past the threshold here only sends the touches at once.
  if (!live && result.mql && !widget.handedOff) {
    handoff({ decided_by: 'page', score: result.score, reasons: result.reasons.map((r) => `${r.rule} +${r.points}`) });
  }
  return result;
}

/** Ties this visitor to a lead: `fields` has `email` and any other lead attributes the form
 *  asked (company, employees, …). Resolves to the service's answer; waits for consent. */
function identify(fields) {
  if (!live) return Promise.reject(new Error('baton widget: identify needs data-baton-service and data-baton-site-key'));
  if (!storage.consented) return new Promise((...settle) => { waitingIdentify = [fields, settle]; });
  // What the visitor told about itself counts in the page's score at once (the email is not
  // kept in the page: it goes to the service and is forgotten once answered).
  const attributes = { ...(storage.load('attributes') ?? {}) };
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'email') attributes[name] = /^-?\d+(\.\d+)?$/.test(String(value)) ? Number(value) : value;
  }
  storage.save('attributes', attributes);
  engine.set(attributes);
  rescore();
  storage.save('identify', fields);
  return sendIdentify();
}

/** Sends a stored identify after the touches queued before it; kept until the service answers. */
async function sendIdentify() {
  const fields = storage.load('identify');
  if (!fields) return null;
  await widget.queue.flush();
  const answer = await widget.queue.post('/v1/identify', { ...fields, visitor_id: visitor() });
  if (answer === null) {
    setTimeout(sendIdentify, widget.queue.wait || 1000);
    return null;
  }
  storage.remove('identify');
  widget.identified = true;
  storage.save('identified', true);
  watchDecision();
  return answer;
}

/** Fields of a `<form data-baton-identify>`: named, not hidden, password or file. */
function formFields(form) {
  const fields = {};
  for (const el of form.elements) {
    if (!el.name || ['password', 'hidden', 'file', 'submit', 'button'].includes(el.type)) continue;
    if (!/^[A-Za-z0-9_]{1,64}$/.test(el.name) || el.value === '') continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) continue;
    fields[el.name] = el.value;
  }
  return fields;
}

/** Asks the service, a few times over the next half minute, whether it decided the handoff. */
let watching = null;
function watchDecision() {
  if (!live || widget.handedOff || !widget.identified) return;
  if (watching) clearTimeout(watching.timer);
  const delays = [300, 1000, 2000, 4000, 8000, 15000];
  watching = { step: 0, timer: null };
  const ask = async () => {
    const url = widget.queue.url(`/v1/widget/visitors/${encodeURIComponent(visitor())}`);
    try {
      const response = await fetch(url);
      if (response.ok) {
        widget.decision = await response.json();
        if (widget.decision.talk_to_sales && !widget.handedOff) {
          handoff({ decided_by: 'service', score: widget.score?.score ?? null, booking_url: widget.decision.booking_url });
          return;
        }
      }
    } catch {
      // Unreachable: the outbox says so (queue.error); the next send asks again.
    }
    const wait = delays[watching.step++];
    if (wait !== undefined) watching.timer = setTimeout(ask, wait);
  };
  ask();
}

function handoff(fields) {
  if (!storage.consented) {
    waitingHandoff = fields;
    return;
  }
  widget.handedOff = true;
  storage.save('handoff', new Date().toISOString());
  const detail = { lead_id: visitor(), touches: widget.touches, at: new Date().toISOString(), ...fields };
  showPanel(detail);
  window.dispatchEvent(new CustomEvent('baton:handoff', { detail }));
  if (typeof widget.onHandoff === 'function') widget.onHandoff(detail);
  if (config.webhook) {
    fetch(new URL(config.webhook, location.href), {
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
  panel.setAttribute('aria-label', 'Talk to sales');
  panel.style.cssText = 'position:fixed;right:1rem;bottom:1rem;max-width:18rem;padding:1rem;background:#0b5394;color:#fff;border-radius:.5rem;font:14px system-ui;box-shadow:0 4px 16px #0004';
  const title = document.createElement('strong');
  title.textContent = 'Talk to sales?';
  const text = document.createElement('p');
  text.textContent = "You look like you're evaluating us seriously — a specialist can answer in minutes.";
  const action = document.createElement(detail.booking_url ? 'a' : 'button');
  action.textContent = 'Book a call';
  action.style.cssText = 'display:inline-block;font:inherit;padding:.4rem .8rem;background:#fff;color:#0b5394;border-radius:.25rem;text-decoration:none';
  if (detail.booking_url) {
    action.href = detail.booking_url;
    action.target = '_blank';
    action.rel = 'noopener';
  } else {
    action.type = 'button';
  }
  panel.append(title, text, action);
  panel.dataset.score = String(detail.score);
  panel.dataset.decidedBy = detail.decided_by;
  document.body.append(panel);
}

/** The program's bytes: the tag's file, or the service's for the site key. The last one read
 *  is kept (with consent), so that a page opened while the service is unreachable still scores. */
async function program() {
  const url = tag?.dataset.batonProgram
    ? new URL(tag.dataset.batonProgram, location.href)
    : `${config.service.replace(/\/$/, '')}/v1/widget/program?site_key=${encodeURIComponent(config.siteKey)}`;
  let failure;
  try {
    const response = await fetch(url);
    if (response.ok) {
      const bytes = await response.arrayBuffer();
      if (live) storage.save('program', btoa(String.fromCharCode(...new Uint8Array(bytes))));
      return bytes;
    }
    failure = `answered ${response.status}`;
  } catch (e) {
    failure = `is unreachable (${e.message})`;
  }
  const kept = storage.load('program');
  if (kept === null) throw new Error(`baton widget: the scoring program at ${url} ${failure}`);
  console.warn(`baton widget: the scoring program at ${url} ${failure}; using the one kept from an earlier visit`);
  return Uint8Array.from(atob(kept), (c) => c.charCodeAt(0)).buffer;
}

async function start() {
  // The outbox is loaded only for a service, in parallel: an offline page starts as fast as before.
  const [bytes, outbox] = await Promise.all([
    program(),
    live ? import('./outbox.js') : null,
    init({ module_or_path: new URL('pkg/baton_widget_bg.wasm', here) }).then(() => {
      widget.initMs = performance.now() - started;
    }),
  ]);
  engine = new Visitor(bytes);
  engine.set(storage.load('attributes') ?? {});
  for (const touch of widget.touches) engine.addTouch(touch);
  if (live) {
    widget.queue = new outbox.Outbox({
      service: config.service,
      siteKey: config.siteKey,
      storage,
      onSent: () => watchDecision(),
      onState: (q) => document.dispatchEvent(new CustomEvent('baton:queue', { detail: { pending: q.pending, error: q.error } })),
    });
    document.addEventListener('submit', (e) => {
      const form = e.target.closest?.('form[data-baton-identify]');
      if (form) identify(formFields(form)).catch((err) => console.warn(err.message));
    });
    if (storage.load('identify')) sendIdentify();
    widget.queue.flush();
    watchDecision();
  }
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
