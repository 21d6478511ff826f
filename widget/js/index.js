// baton-engine/widget: the site widget's engine. A compiled program of scoring rules and
// qualification criteria (`baton widget build`, or the service's GET /v1/widget/program) runs for
// one visitor; the wasm answers numbers and indices, and this layer names them from the program.
import init, { initSync, Widget } from './baton_widget.js';

export { init, initSync };
export default init;

const GRADES = [null, 'A', 'B', 'C', 'D'];
const OFFSET = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/** Microseconds since 1970 of a Date, a number of milliseconds, or an ISO text (UTC when it has no offset). */
export function micros(t) {
  let ms;
  if (t instanceof Date) ms = t.getTime();
  else if (typeof t === 'number') ms = t;
  else if (typeof t === 'string') ms = Date.parse(t.includes('T') && !OFFSET.test(t) ? `${t}Z` : t);
  else throw new TypeError(`baton widget: a time is a Date, milliseconds or an ISO text, not ${typeof t}`);
  if (!Number.isFinite(ms)) throw new RangeError(`baton widget: ${JSON.stringify(t)} is not a time`);
  return Math.round(ms * 1000);
}

/** One visitor scored by a program. */
export class Visitor {
  /** `program`: the program's bytes (Uint8Array or ArrayBuffer). Throws when this build cannot read them. */
  constructor(program) {
    const bytes = program instanceof Uint8Array ? program : new Uint8Array(program);
    this.engine = new Widget(bytes);
    /** The rules, in program order: `{name, kind}`. */
    this.rules = this.engine.ruleNames().map((name, i) => ({ name, kind: null, index: i }));
    this.engine.ruleKinds().forEach((k, i) => { this.rules[i].kind = k ? 'engagement' : 'fit'; });
    /** The attributes the rules read. */
    this.attributes = this.engine.attributeNames();
    this.mqlThreshold = this.engine.mqlThreshold();
    /** The criteria sets: `{name, criteria: [{name, ask, plugin}]}`. */
    const texts = this.engine.criteria();
    let k = 0;
    const counts = this.engine.criterionCounts();
    this.sets = this.engine.setNames().map((name, i) => ({
      name,
      criteria: Array.from({ length: counts[i] }, () => {
        const [criterion, ask, plugin] = texts.slice(3 * k, 3 * ++k);
        return { name: criterion, ask: ask || null, plugin: plugin || null };
      }),
    }));
  }

  /** The program format this build reads. */
  static get formatVersion() {
    return Widget.formatVersion();
  }

  /** Sets attributes from an object (`{employees: 250, industry: 'software'}`); `null` empties one. Returns the names no rule reads. */
  set(attributes) {
    const unread = [];
    for (const [name, value] of Object.entries(attributes)) {
      let read;
      if (value === null || value === undefined || value === '') read = this.engine.clearAttribute(name);
      else if (typeof value === 'number') read = this.engine.setNumber(name, value);
      else if (typeof value === 'boolean') read = this.engine.setBool(name, value);
      else read = this.engine.setText(name, String(value));
      if (!read) unread.push(name);
    }
    return unread;
  }

  /** Adds a touch `{ts, type, channel, team?, campaign?, asset_id?}`. */
  addTouch(touch) {
    this.engine.addTouch(micros(touch.ts), touch.type ?? '', touch.channel ?? '', touch.team ?? '',
      touch.campaign ?? '', touch.asset_id ?? '');
  }

  /** Forgets the touches. */
  clearTouches() {
    this.engine.clearTouches();
  }

  /** The raw answer: `[score, fit, engagement, mql, grade, tier, points of rule 0, 1, ...]` (Float64Array). */
  scoreNumbers(asOf = Date.now()) {
    return this.engine.score(micros(asOf));
  }

  /** The score as of `asOf` (default now): `{score, fit, engagement, mql, grade, priority, reasons}`. */
  score(asOf = Date.now()) {
    return this.name(this.scoreNumbers(asOf));
  }

  /** Names a raw answer from the program's rules (reasons: largest first, as the engine orders them). */
  name(n) {
    const grade = GRADES[n[4]];
    const reasons = [];
    for (let i = 0; i < this.rules.length; i++) {
      const points = n[6 + i];
      if (!Number.isNaN(points)) reasons.push({ rule: this.rules[i].name, kind: this.rules[i].kind, points });
    }
    reasons.sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    return {
      score: n[0], fit: n[1], engagement: n[2], mql: n[3] === 1, grade,
      priority: grade ? `${grade}${n[5]}` : null, reasons,
    };
  }

  /**
   * Every criteria set's verdict as of `asOf` (default now), as the engine gives it in a browser:
   * `{set, qualified, passed, failed, missing_data: [{criterion, missing, ask?}]}`. A criterion
   * decided by a plugin is undecided (plugins run in the native host; the service decides).
   */
  qualify(asOf = Date.now()) {
    const n = this.engine.qualify(micros(asOf));
    let k = this.sets.length;
    return this.sets.map((set, i) => {
      const v = { set: set.name, qualified: n[i] === 1, passed: [], failed: [], missing_data: [] };
      for (const c of set.criteria) {
        const code = n[k++];
        if (code === 1) v.passed.push(c.name);
        else if (code === 0) v.failed.push(c.name);
        else if (code <= -2 || code >= 2) {
          const missing = code >= 2 ? this.attributes[code - 2] : `plugin ${JSON.stringify(c.plugin)} gave no verdict (plugins run in the native host)`;
          v.missing_data.push(c.ask ? { criterion: c.name, missing, ask: c.ask } : { criterion: c.name, missing });
        }
      }
      return v;
    });
  }

  /** Frees the wasm memory the visitor holds. */
  free() {
    this.engine.free();
  }
}
