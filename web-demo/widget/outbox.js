// The widget's outbox: touches on their way to the Baton service, kept in localStorage until the
// service has answered for them, so a page that closes, a network that drops or a service that is
// down loses nothing and a touch sent twice counts once (each carries its `event_id`; the service
// answers a repeat as a duplicate).
//
// Sending: batches of at most BATCH rows by fetch (a simple CORS request: the site key in the
// query, a text/plain body, no preflight), `keepalive` so a navigation does not cut it; when the
// page hides, what is left goes by navigator.sendBeacon and stays queued until a later fetch is
// answered. A failed send is retried with a doubling wait (1 s … 30 s), at once when the browser
// says it is online again, and after `Retry-After` when the service asks for it.

/** Most touches kept waiting; past it the oldest go (counted in `dropped`). */
export const MAX_QUEUE = 500;
/** Most touches per request. */
export const BATCH = 100;
/** Milliseconds a new touch waits for others to go in the same request. */
export const LINGER_MS = 1000;

/** The outbox of one page: `service` and `siteKey` say where to; `storage` keeps the queue
 *  (or nothing, while consent is awaited); `onSent` hears of every answered batch. */
export class Outbox {
  constructor({ service, siteKey, storage, onSent, onState }) {
    this.url = (path) => `${service.replace(/\/$/, '')}${path}${path.includes('?') ? '&' : '?'}site_key=${encodeURIComponent(siteKey)}`;
    this.storage = storage;
    this.onSent = onSent ?? (() => {});
    this.onState = onState ?? (() => {});
    this.rows = storage.load('outbox') ?? [];
    /** Touches dropped because the queue was full. */
    this.dropped = 0;
    /** Touches the service refused (each said once with its reason in the console). */
    this.refused = 0;
    /** Touches the service answered for since this page opened. */
    this.sent = 0;
    /** Why the last send failed (`null` after one that worked). */
    this.error = null;
    this.sending = false;
    /** Whether what is queued has gone by beacon since the last touch was added (a page that
     *  hides fires both visibilitychange and pagehide: one beacon is enough). */
    this.beaconed = false;
    this.timer = null;
    this.wait = 0;
    addEventListener('online', () => this.flush());
    const hide = () => this.beacon();
    addEventListener('pagehide', hide);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') hide();
    });
  }

  /** Touches waiting for the service's answer. */
  get pending() {
    return this.rows.length;
  }

  /** Queues a touch row and sends it soon (at once with `now`). */
  add(row, { now = false } = {}) {
    this.rows.push(row);
    this.beaconed = false;
    if (this.rows.length > MAX_QUEUE) {
      const over = this.rows.length - MAX_QUEUE;
      this.rows.splice(0, over);
      if (this.dropped === 0) console.warn(`baton widget: the outbox is full (${MAX_QUEUE} touches); the oldest are dropped`);
      this.dropped += over;
    }
    this.save();
    this.schedule(now ? 0 : LINGER_MS);
  }

  /** Writes the queue to storage (nothing while consent is awaited). */
  save() {
    this.storage.save('outbox', this.rows);
  }

  /** Forgets every queued touch (consent withdrawn). */
  clear() {
    this.rows = [];
    this.storage.remove('outbox');
  }

  schedule(ms) {
    if (this.timer !== null) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
  }

  /** Sends what is queued, batch after batch, until empty or a send fails. */
  async flush() {
    if (this.sending || this.rows.length === 0 || !this.storage.allowed()) return;
    this.sending = true;
    try {
      while (this.rows.length > 0) {
        const batch = this.rows.slice(0, BATCH);
        const answer = await this.post('/v1/events', batch);
        if (answer === null) return;
        this.settle(batch, answer);
      }
    } finally {
      this.sending = false;
    }
  }

  /** POSTs `body` as JSON text; the answer, or `null` after a failure (then a retry is set). */
  async post(path, body) {
    const text = JSON.stringify(body);
    let response;
    try {
      response = await fetch(this.url(path), { method: 'POST', body: text, keepalive: text.length < 60_000 });
    } catch (e) {
      return this.failed(`the service is unreachable (${e.message})`);
    }
    if (response.ok) {
      this.error = null;
      this.wait = 0;
      this.onState(this);
      return response.json();
    }
    const why = await response.json().catch(() => ({}));
    const message = `the service answered ${response.status}${why.message ? `: ${why.message}` : ''}`;
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status === 429 || response.status >= 500) return this.failed(message, retryAfter);
    // A refusal that sending again will not change (a key or origin the service does not
    // know): said once, kept queued, tried again after a long wait.
    console.warn(`baton widget: ${message}`);
    return this.failed(message, 60);
  }

  failed(message, retryAfter = 0) {
    this.error = message;
    this.wait = Math.min(Math.max(this.wait * 2, 1000), 30_000);
    this.onState(this);
    this.schedule(retryAfter > 0 ? retryAfter * 1000 : this.wait);
    return null;
  }

  /** Drops the answered rows from the queue; a refused one is said with its reason. */
  settle(batch, answer) {
    for (const row of answer.rows ?? []) {
      if (row.status !== 'rejected') continue;
      this.refused += 1;
      const why = (row.problems ?? []).map((p) => `${p.field} ${p.reason}`).join(', ');
      console.warn(`baton widget: the service refused touch ${batch[row.index]?.event_id}: ${why}`);
    }
    const done = new Set(batch.map((r) => r.event_id));
    this.rows = this.rows.filter((r) => !done.has(r.event_id));
    this.sent += batch.length;
    this.save();
    this.onSent(answer);
  }

  /** The page is hiding: what is queued goes by beacon (and stays queued until answered). */
  beacon() {
    if (this.beaconed || this.rows.length === 0 || !this.storage.allowed() || !navigator.sendBeacon) return;
    this.beaconed = true;
    for (let i = 0; i < this.rows.length; i += BATCH) {
      navigator.sendBeacon(this.url('/v1/events'), JSON.stringify(this.rows.slice(i, i + BATCH)));
    }
  }
}
