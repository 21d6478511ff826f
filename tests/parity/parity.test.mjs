// Native and wasm builds give the same answers: the same workspace through the `baton` binary and
// through the wasm package in Node must produce byte-identical report.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = process.env.BATON_WASM_PKG ?? join(root, 'target', 'wasm-pkg', 'node');
const bin = process.env.BATON_BIN ?? join(root, 'target', 'debug', 'baton');
const tz = process.env.BATON_TZ_DIR ?? join(root, 'target', 'wasm-pkg', 'tz');
const { Baton } = require(join(pkg, 'baton_wasm.js'));

/** The engine for a configuration, given its zone's TZif file (the wasm build has no database). */
function engineFor(toml) {
  const zone = Baton.timeZoneOf(toml);
  return new Baton(toml, zone === undefined ? undefined : readFileSync(join(tz, ...zone.split('/'))));
}

function wasmReport(dir, asOf) {
  const tomlPath = join(dir, 'baton.toml');
  const engine = engineFor(existsSync(tomlPath) ? readFileSync(tomlPath, 'utf8') : '');
  for (const name of readdirSync(dir).sort()) {
    if (name === 'baton.toml' || !statSync(join(dir, name)).isFile()) continue;
    engine.addFile(name, readFileSync(join(dir, name)));
  }
  return engine.analyzeJson(asOf);
}

function nativeReport(dir, asOf) {
  const out = mkdtempSync(join(tmpdir(), 'baton-parity-'));
  // WebAssembly plugins are a native-host feature: compare the engine itself, as the browser runs it.
  const args = ['analyze', dir, '--out', out, '--quiet', '--no-plugins'];
  if (asOf) args.push('--as-of', asOf);
  execFileSync(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(join(out, 'report.json'), 'utf8');
}

function assertSame(dir, asOf) {
  const native = nativeReport(dir, asOf);
  const wasm = wasmReport(dir, asOf);
  assert.ok(native.length > 200, 'native report is not empty');
  assert.equal(wasm, native);
}

test('dirty fixture: every rejection and warning identical', () => {
  assertSame(join(root, 'tests', 'fixtures', 'dirty'));
});

test('examples/acme: identical report', () => {
  assertSame(join(root, 'examples', 'acme'));
});

test('examples/acme with a local as-of: identical report', () => {
  assertSame(join(root, 'examples', 'acme'), '2026-06-30 17:00');
});

test('generated workspace (2,000 leads): identical report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-gen-'));
  execFileSync(bin, ['gen', '--leads', '2000', '--seed', '17', '--error-rate', '0.005', '--out', dir, '--quiet']);
  assertSame(dir);
});

test('errors are JS Errors with a code and the place', () => {
  assert.throws(() => new Baton('[workspace]\nname = "x"\nbogus = 1\n'), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'config');
    assert.equal(e.line, 3);
    assert.equal(e.key, 'workspace.bogus');
    return true;
  });
  const engine = new Baton('');
  engine.addFile('leads.csv', new TextEncoder().encode('id,created_at\nL1,2026-01-01\n'));
  assert.throws(() => engine.analyzeJson(), (e) => {
    assert.equal(e.code, 'missing_column');
    assert.equal(e.file, 'leads.csv');
    assert.equal(e.column, 'lead_id');
    return true;
  });
});

test('time zones come in as TZif data: the zone named, a clear error without it, UTC needs none', () => {
  const toml = '[workspace]\ntimezone = "Europe/Berlin"\n';
  assert.equal(Baton.timeZoneOf(toml), 'Europe/Berlin');
  assert.equal(Baton.timeZoneOf({ workspace: { timezone: 'Asia/Tokyo' } }), 'Asia/Tokyo');
  assert.equal(Baton.timeZoneOf('[workspace]\ntimezone = "utc"\n'), undefined);
  assert.equal(Baton.timeZoneOf(''), undefined);
  assert.throws(() => new Baton(toml), (e) => {
    assert.equal(e.code, 'config');
    assert.equal(e.key, 'workspace.timezone');
    assert.equal(e.line, 2);
    assert.match(e.message, /"Europe\/Berlin" needs its rules.*tz\/Europe\/Berlin/);
    return true;
  });
  assert.throws(() => new Baton(toml, new Uint8Array([1, 2, 3])), (e) => e.code === 'config' && /TZif data given for "Europe\/Berlin" is not valid/.test(e.message));
  // A naive local time read in the zone: 2026-03-29 is the EU spring-forward day (CET → CEST at
  // 02:00), so 01:30 is +01:00 and 03:30 is +02:00: one hour apart in UTC.
  const engine = engineFor(toml);
  engine.addFile('leads.csv', new TextEncoder().encode('lead_id,created_at\nL1,2026-03-29 01:30\nL2,2026-03-29 03:30\n'));
  const report = JSON.parse(engine.analyzeJson());
  assert.equal(report.as_of, '2026-03-29T01:30:00Z');
});

test('scoreLead and qualify: a lead handed over directly gives what its JSON text gives', () => {
  // The engine reads a page's objects through `flatten` (one text, no JSON); an object with a
  // `toJSON` method is handed over as JSON text instead, so wrapping the same data in `toJSON`
  // takes the JSON way: both must answer alike, edge values included.
  const engine = engineFor(readFileSync(join(root, 'examples', 'acme', 'baton.toml'), 'utf8').split('# WebAssembly plugins')[0]);
  const asJson = (o) => ({ toJSON: () => o });
  const values = [800, '800', 12.5, 1e21, 2 ** 60, -0, NaN, Infinity, 0.000001, true, null, undefined, '', ' 800', 'many', () => 1, [1], { a: 1 }, 'a\x1fb', 'a\x1eb', 'a\x1db', '\x1e\x1fpersona\x1dschampion', 'lone \ud800', 'emoji 😀', 'U+FFFD \ufffd'];
  let state = 7;
  const pick = (xs) => xs[(state = (state * 1103515245 + 12345) % 2147483648) % xs.length];
  let flatAnswers = 0;
  for (let i = 0; i < 600; i++) {
    const lead = { lead_id: pick(['P1', 'P1', 'P1', 'P1', ' P1', 7]), created_at: pick(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01 08:00', new Date(Date.UTC(2026, 0, 1))]) };
    for (const key of ['employees', 'industry', 'persona', 'budget']) if (pick([true, false])) lead[key] = pick(key === 'industry' ? ['software', 'Retail', ...values] : values);
    // Keys `flatten` does not look into: separators and a lone surrogate.
    if (pick([true, false, false, false])) lead[pick(['a\x1fb', 'a\x1db', 'a\x1eb', 'k\ud800', 'persona\x1dschampion\x1fx'])] = pick(['v', 7]);
    const events = Array.from({ length: i % 6 }, (_, k) => {
      const e = { ts: pick([`2026-01-0${k + 2}T10:00:00Z`, `2026-01-0${k + 2}T10:00:00Z`, `2026-01-0${k + 2}T10:00:00Z`, `2026-01-0${k + 2}T10:00:00Z`, '2026-01-03 10:00', 'soon']), type: pick(['pricing_page_view', 'email_open', 'webinar_attend']), channel: pick(['web', 'email']) };
      if (pick([true, false, false, false])) e.team = pick(['marketing', 'Sales', 'bogus', undefined, null]);
      if (pick([true, false, false])) e.event_id = pick(['e1', 'e2', 5]);
      return e;
    });
    const answer = (f, l, ev) => { try { return f.call(engine, l, ev, '2026-02-01T00:00:00Z'); } catch (e) { return `${e.code}: ${e.message}`; } };
    const direct = answer(engine.scoreLead, lead, events);
    assert.deepEqual(direct, answer(engine.scoreLead, asJson(lead), events.map(asJson)), JSON.stringify(lead));
    assert.deepEqual(answer(engine.qualify, lead, events), answer(engine.qualify, asJson(lead), events.map(asJson)), JSON.stringify(lead));
    if (typeof direct === 'object') flatAnswers++;
  }
  assert.ok(flatAnswers > 80, `${flatAnswers} leads scored`);
});

test('scoreLead: keys and strings made of separators, surrogates and U+FFFD read as their JSON text', () => {
  // `flatten` does not search keys and strings: a separator inside one must be caught in Rust by
  // the counts it writes. Random short texts over an alphabet of its separators, lone and paired
  // surrogates, U+FFFD and spaces, in keys and values: both routes must answer alike.
  const engine = engineFor(readFileSync(join(root, 'examples', 'acme', 'baton.toml'), 'utf8').split('# WebAssembly plugins')[0]);
  const asJson = (o) => ({ toJSON: () => o });
  let state = 12345;
  const rnd = (n) => (state = (state * 1103515245 + 12345) % 2147483648) % n;
  const alphabet = ['a', 'P', '1', ' ', 's', 't', 'd', 'é', '\n', '\x1c', '\x1d', '\x1e', '\x1f', '\ud800', '\udc00', '\ufffd', '😀'];
  const text = () => Array.from({ length: rnd(5) }, () => alphabet[rnd(alphabet.length)]).join('');
  const keys = ['employees', 'industry', 'persona', 'budget_confirmed'];
  let scored = 0;
  for (let i = 0; i < 3000; i++) {
    const lead = { lead_id: rnd(3) ? 'P1' : `P${text()}`, created_at: '2026-01-01T00:00:00Z' };
    for (let k = rnd(4); k > 0; k--) lead[rnd(4) ? keys[rnd(keys.length)] : text()] = rnd(3) ? text() : [800, 12.5, true, null][rnd(4)];
    const events = Array.from({ length: rnd(3) }, (_, k) => {
      const e = { ts: `2026-01-0${k + 2}T10:00:00Z`, type: rnd(3) ? 'pricing_page_view' : text(), channel: rnd(3) ? 'web' : text() };
      if (!rnd(4)) e[text()] = text();
      return e;
    });
    const answer = (l, ev) => { try { return engine.scoreLead(l, ev, '2026-02-01T00:00:00Z'); } catch (e) { return `${e.code}: ${e.message}`; } };
    const direct = answer(lead, events);
    assert.deepEqual(direct, answer(asJson(lead), events.map(asJson)), JSON.stringify({ lead, events }));
    if (typeof direct === 'object') scored++;
  }
  assert.ok(scored > 1000, `${scored} leads scored`);
});
