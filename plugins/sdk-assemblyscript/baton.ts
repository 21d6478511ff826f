// Baton plugin ABI v1 for AssemblyScript: read the lead's JSON on stdin, write a verdict on stdout.
// Build with @assemblyscript/wasi-shim (it routes abort/trace to stderr and provides `process`).
// A plugin module must also export the ABI marker:  export function baton_plugin_abi_v1(): void {}

export const enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** A parsed JSON value. */
export class Json {
  kind: Kind = Kind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: Json[] = [];
  keys: string[] = [];

  get isNumber(): bool {
    return this.kind == Kind.Number;
  }
  get isString(): bool {
    return this.kind == Kind.String;
  }
  get isBool(): bool {
    return this.kind == Kind.Bool;
  }

  /** The member `key` of an object, or null. */
  get(key: string): Json | null {
    if (this.kind != Kind.Object) return null;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  /** A numeric member, or `fallback`. */
  number(key: string, fallback: f64): f64 {
    const v = this.get(key);
    return v != null && v.kind == Kind.Number ? v.num : fallback;
  }

  /** A text member, or `fallback`. */
  string(key: string, fallback: string): string {
    const v = this.get(key);
    return v != null && v.kind == Kind.String ? v.str : fallback;
  }

  /** An array-of-text member (empty when absent). */
  strings(key: string): string[] {
    const out: string[] = [];
    const v = this.get(key);
    if (v == null || v.kind != Kind.Array) return out;
    for (let i = 0; i < v.items.length; i++) {
      if (v.items[i].kind == Kind.String) out.push(v.items[i].str);
    }
    return out;
  }
}

class Parser {
  s: string;
  i: i32 = 0;
  error: string = "";
  constructor(s: string) {
    this.s = s;
  }

  fail(what: string): Json {
    if (this.error.length == 0) this.error = what + " at character " + this.i.toString();
    return new Json();
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 32 || c == 9 || c == 10 || c == 13) this.i++;
      else break;
    }
  }

  value(depth: i32): Json {
    if (depth > 64) return this.fail("nesting too deep");
    this.ws();
    if (this.i >= this.s.length) return this.fail("unexpected end");
    const c = this.s.charCodeAt(this.i);
    const v = new Json();
    if (c == 123) {
      // {
      v.kind = Kind.Object;
      this.i++;
      this.ws();
      if (this.s.charCodeAt(this.i) == 125) {
        this.i++;
        return v;
      }
      while (this.error.length == 0) {
        this.ws();
        if (this.s.charCodeAt(this.i) != 34) return this.fail("expected a key");
        const key = this.text();
        this.ws();
        if (this.s.charCodeAt(this.i) != 58) return this.fail("expected ':'");
        this.i++;
        v.keys.push(key);
        v.items.push(this.value(depth + 1));
        this.ws();
        const d = this.s.charCodeAt(this.i);
        this.i++;
        if (d == 125) return v;
        if (d != 44) return this.fail("expected ',' or '}'");
      }
      return v;
    }
    if (c == 91) {
      // [
      v.kind = Kind.Array;
      this.i++;
      this.ws();
      if (this.s.charCodeAt(this.i) == 93) {
        this.i++;
        return v;
      }
      while (this.error.length == 0) {
        v.items.push(this.value(depth + 1));
        this.ws();
        const d = this.s.charCodeAt(this.i);
        this.i++;
        if (d == 93) return v;
        if (d != 44) return this.fail("expected ',' or ']'");
      }
      return v;
    }
    if (c == 34) {
      v.kind = Kind.String;
      v.str = this.text();
      return v;
    }
    if (this.s.startsWith("true", this.i)) {
      this.i += 4;
      v.kind = Kind.Bool;
      v.bool = true;
      return v;
    }
    if (this.s.startsWith("false", this.i)) {
      this.i += 5;
      v.kind = Kind.Bool;
      return v;
    }
    if (this.s.startsWith("null", this.i)) {
      this.i += 4;
      return v;
    }
    const start = this.i;
    while (this.i < this.s.length) {
      const d = this.s.charCodeAt(this.i);
      if ((d >= 48 && d <= 57) || d == 45 || d == 43 || d == 46 || d == 101 || d == 69) this.i++;
      else break;
    }
    if (start == this.i) return this.fail("unexpected character");
    v.kind = Kind.Number;
    v.num = parseFloat(this.s.substring(start, this.i));
    return v;
  }

  text(): string {
    this.i++; // opening quote
    let out = "";
    let run = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 34) {
        out += this.s.substring(run, this.i);
        this.i++;
        return out;
      }
      if (c == 92) {
        out += this.s.substring(run, this.i);
        const e = this.s.charCodeAt(this.i + 1);
        this.i += 2;
        if (e == 110) out += "\n";
        else if (e == 116) out += "\t";
        else if (e == 114) out += "\r";
        else if (e == 98) out += "\b";
        else if (e == 102) out += "\f";
        else if (e == 117) {
          out += String.fromCharCode(<i32>parseInt(this.s.substring(this.i, this.i + 4), 16));
          this.i += 4;
        } else out += String.fromCharCode(e);
        run = this.i;
        continue;
      }
      this.i++;
    }
    this.fail("unterminated string");
    return out;
  }
}

/** Parses JSON text; on error, `error` is set and the result is null. */
export function parse(text: string): Json {
  const p = new Parser(text);
  const v = p.value(0);
  if (p.error.length > 0) fail("input is not JSON: " + p.error);
  return v;
}

/** A touchpoint. */
export class Event {
  at: string = "";
  kind: string = "";
  channel: string = "";
  ageDays: f64 = 0;
}

/** The lead. */
export class Lead {
  id: string = "";
  stage: string = "";
  raw: Json = new Json();

  /** An attribute (number, bool or text), or null when the lead does not have it. */
  attribute(name: string): Json | null {
    const a = this.raw.get("attributes");
    return a == null ? null : a.get(name);
  }
}

/** The input document. */
export class Input {
  describe: bool = false;
  plugin: string = "";
  asOf: string = "";
  params: Json = new Json();
  lead: Lead = new Lead();
  events: Event[] = [];
  score: Json = new Json();
  raw: Json = new Json();
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34) out += '\\"';
    else if (c == 92) out += "\\\\";
    else if (c == 10) out += "\\n";
    else if (c < 32) out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** A verdict, built fluently. */
export class Verdict {
  decided: bool = false;
  qualified: bool = false;
  hasAdjustment: bool = false;
  adjustment: f64 = 0;
  reasons: string[] = [];
  missingData: string[] = [];
  routeTo: string = "";

  pass(qualified: bool): Verdict {
    this.decided = true;
    this.qualified = qualified;
    return this;
  }
  adjust(points: f64): Verdict {
    this.hasAdjustment = true;
    this.adjustment = points;
    return this;
  }
  reason(text: string): Verdict {
    this.reasons.push(text);
    return this;
  }
  missing(fact: string): Verdict {
    this.missingData.push(fact);
    return this;
  }
  route(owner: string): Verdict {
    this.routeTo = owner;
    return this;
  }

  toJSON(): string {
    const parts: string[] = [];
    if (this.decided) parts.push('"qualified":' + (this.qualified ? "true" : "false"));
    if (this.hasAdjustment) parts.push('"score_adjustment":' + this.adjustment.toString());
    parts.push('"reasons":[' + this.reasons.map<string>((r: string) => quote(r)).join(",") + "]");
    parts.push('"missing_data":[' + this.missingData.map<string>((r: string) => quote(r)).join(",") + "]");
    if (this.routeTo.length > 0) parts.push('"route_to":' + quote(this.routeTo));
    return "{" + parts.join(",") + "}";
  }
}

/** A number as the Rust SDK's `{}` prints it: integers without a fraction (5000, not 5000.0). */
export function num(n: f64): string {
  return n == Math.floor(n) && Math.abs(n) < 1e15 ? (<i64>n).toString() : n.toString();
}

/** Writes `message` to the log and exits with status 1. */
export function fail(message: string): void {
  process.stderr.write(message + "\n");
  process.exit(1);
}

function readStdin(): string {
  const chunks: ArrayBuffer[] = [];
  let total = 0;
  while (true) {
    const buf = new ArrayBuffer(65536);
    const n = process.stdin.read(buf);
    if (n <= 0) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    all.set(Uint8Array.wrap(chunks[i]), at);
    at += chunks[i].byteLength;
  }
  return String.UTF8.decode(all.buffer);
}

function toInput(raw: Json): Input {
  const input = new Input();
  input.raw = raw;
  const d = raw.get("describe");
  input.describe = d != null && d.bool;
  input.plugin = raw.string("plugin", "");
  input.asOf = raw.string("as_of", "");
  const params = raw.get("params");
  if (params != null) input.params = params;
  const lead = raw.get("lead");
  if (lead != null) {
    input.lead.raw = lead;
    input.lead.id = lead.string("id", "");
    input.lead.stage = lead.string("stage", "");
  }
  const events = raw.get("events");
  if (events != null) {
    for (let i = 0; i < events.items.length; i++) {
      const e = events.items[i];
      const ev = new Event();
      ev.at = e.string("at", "");
      ev.kind = e.string("type", "");
      ev.channel = e.string("channel", "");
      ev.ageDays = e.number("age_days", 0);
      input.events.push(ev);
    }
  }
  const score = raw.get("score");
  if (score != null) input.score = score;
  return input;
}

/** Reads the input, answers `describe` or `evaluate`, and writes the answer on stdout. */
export function run(describe: () => string, evaluate: (input: Input) => Verdict): void {
  const input = toInput(parse(readStdin()));
  if (input.describe) {
    process.stdout.write(describe());
  } else {
    process.stdout.write(evaluate(input).toJSON());
  }
}
