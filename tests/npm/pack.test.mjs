// The npm package as a user gets it: `npm pack` output installed into a scratch project, used from
// CommonJS (nodejs target) and as an ES module (web target, instantiated from bytes), giving the
// same report.json as `baton analyze` on the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.BATON_BIN ?? join(root, 'target', 'debug', 'baton');
const tarball = readdirSync(join(root, 'target', 'npm')).find((f) => /^baton-engine-.*\.tgz$/.test(f));
const acme = join(root, 'examples', 'acme');

function files(dir) {
  const out = {};
  for (const name of readdirSync(dir).sort()) {
    if (name !== 'baton.toml' && statSync(join(dir, name)).isFile()) out[name] = readFileSync(join(dir, name));
  }
  return out;
}

function nativeReport(dir) {
  const out = mkdtempSync(join(tmpdir(), 'baton-npm-native-'));
  execFileSync(bin, ['analyze', dir, '--out', out, '--quiet', '--no-plugins'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(join(out, 'report.json'), 'utf8');
}

const scratch = mkdtempSync(join(tmpdir(), 'baton-npm-user-'));
writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', join(root, 'target', 'npm', tarball)], {
  cwd: scratch,
  stdio: ['ignore', 'ignore', 'inherit'],
});

test('the packed package installs and declares its types', () => {
  const pkg = JSON.parse(readFileSync(join(scratch, 'node_modules', 'baton-engine', 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'baton-engine');
  const dts = readFileSync(join(scratch, 'node_modules', 'baton-engine', 'node', 'baton_wasm.d.ts'), 'utf8');
  for (const m of ['loadWorkspace', 'analyze', 'scoreLead', 'qualify', 'checkMessage', 'nextBestContent', 'slaClock', 'attribution']) {
    assert.match(dts, new RegExp(`\\b${m}\\(`), m);
  }
});

test('the ES module builds import by package name in Node without a warning', () => {
  const script = `
    import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    for (const build of ['web', 'widget']) {
      const mod = await import('baton-engine/' + build);
      const wasm = createRequire(import.meta.url).resolve('baton-engine/' + build + '/baton_wasm_bg.wasm');
      mod.initSync({ module: readFileSync(wasm) });
      const s = new mod.Baton({ scoring: { rules: [{ name: 'Big', kind: 'fit', points: 7, when: { fact: 'employees', operator: 'gte', value: 100 } }] } })
        .scoreLead({ lead_id: 'P1', created_at: '2026-01-01T00:00:00Z', employees: 500 }, [], '2026-02-01T00:00:00Z');
      process.stdout.write(build + ' ' + s.fit + '\\n');
    }`;
  const run = spawnSync('node', ['--input-type=module', '-e', script], { cwd: scratch, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'web 7\nwidget 7\n');
  assert.equal(run.stderr, '', 'no warning on import');
});

test('CommonJS (nodejs target): same report.json as the CLI', () => {
  const script = `
    const fs = require('fs');
    const { Baton } = require('baton-engine');
    const dir = ${JSON.stringify(acme)};
    const baton = new Baton(fs.readFileSync(dir + '/baton.toml', 'utf8'));
    const files = {};
    for (const n of fs.readdirSync(dir).sort()) if (n !== 'baton.toml' && fs.statSync(dir + '/' + n).isFile()) files[n] = fs.readFileSync(dir + '/' + n);
    baton.loadWorkspace(files);
    process.stdout.write(baton.analyzeJson());`;
  const wasm = execFileSync('node', ['-e', script], { cwd: scratch, maxBuffer: 64 << 20 }).toString();
  assert.equal(wasm, nativeReport(acme));
});

test('ES module (web target, initSync from bytes): same numbers as the CLI', async () => {
  const base = join(scratch, 'node_modules', 'baton-engine', 'web');
  const mod = await import(pathToFileURL(join(base, 'baton_wasm.js')).href);
  mod.initSync({ module: readFileSync(join(base, 'baton_wasm_bg.wasm')) });
  // The web build has no time-zone database: the zone's TZif file comes from the package's tz/.
  const toml = readFileSync(join(acme, 'baton.toml'), 'utf8');
  assert.equal(mod.Baton.timeZoneOf(toml), 'America/New_York');
  const tzif = readFileSync(join(scratch, 'node_modules', 'baton-engine', 'tz', 'America', 'New_York'));
  const baton = new mod.Baton(toml, tzif);
  baton.loadWorkspace(files(acme));
  const report = baton.analyze();
  const native = JSON.parse(nativeReport(acme));
  assert.deepEqual(report.scoring.qualification, native.scoring.qualification);
  assert.equal(report.summary.leads, native.summary.leads);
  assert.equal(report.kpis.profit, native.kpis.profit);
  // Live answers on the loaded workspace.
  const clocks = baton.slaClock('L0000002');
  assert.deepEqual(clocks.map((c) => c.sla).sort(), ['acceptance', 'first_touch']);
  assert.ok(clocks.every((c) => ['met', 'breached', 'pending', 'not_started'].includes(c.status)));
  const content = baton.nextBestContent('L0000002');
  assert.ok(Array.isArray(content));
  assert.throws(() => baton.slaClock('NOPE'), (e) => e.code === 'input' && /NOPE/.test(e.message));
});

test('the widget build (baton-engine/widget) answers scoreLead, qualify and checkMessage like the full engine', async () => {
  const load = async (dir) => {
    const base = join(scratch, 'node_modules', 'baton-engine', dir);
    const mod = await import(pathToFileURL(join(base, 'baton_wasm.js')).href);
    mod.initSync({ module: readFileSync(join(base, 'baton_wasm_bg.wasm')) });
    return mod;
  };
  const [full, widget] = [await load('web'), await load('widget')];
  // The widget build knows UTC only: the acme configuration with its zone set to UTC.
  const toml = readFileSync(join(acme, 'baton.toml'), 'utf8')
    .split('# WebAssembly plugins')[0]
    .replace(/^timezone = .*$/m, 'timezone = "UTC"');
  // ...and as an object for the widget build, which reads no TOML: the same text parsed by an
  // independent TOML parser (smol-toml).
  const { parse } = createRequire(join(root, 'target', 'npm', 'tools', 'package.json'))('smol-toml');
  const config = parse(toml);
  const lead0 = { lead_id: 'W0', created_at: '2026-01-01T00:00:00Z', employees: 800 };
  const [a, b] = [new full.Baton(toml), new widget.Baton(config)];
  assert.deepEqual(new widget.Baton(JSON.stringify(config)).scoreLead(lead0, [], '2026-02-01T00:00:00Z'), a.scoreLead(lead0, [], '2026-02-01T00:00:00Z'));
  assert.throws(() => new widget.Baton(toml), (e) => e.code === 'config' && /not TOML/.test(e.message));
  const lead = { lead_id: 'W1', created_at: '2026-01-01T00:00:00Z', employees: 800, industry: 'software', persona: 'champion' };
  const events = [
    { ts: '2026-01-02T10:00:00Z', type: 'pricing_page_view', channel: 'web' },
    { ts: '2026-01-03T10:00:00Z', type: 'demo_request', channel: 'web' },
  ];
  assert.deepEqual(b.scoreLead(lead, events, '2026-02-01T00:00:00Z'), a.scoreLead(lead, events, '2026-02-01T00:00:00Z'));
  assert.ok(b.scoreLead(lead, events, '2026-02-01T00:00:00Z').score > 0);
  assert.deepEqual(b.qualify(lead, events, '2026-02-01T00:00:00Z'), a.qualify(lead, events, '2026-02-01T00:00:00Z'));
  const draft = 'Teams go live in 30 days with 200 native integrations.';
  assert.deepEqual(b.checkMessage(draft, 'champion'), a.checkMessage(draft, 'champion'));
  // The findings `baton check` prints for the shared fixture (host/tests/check.rs holds the CLI
  // to the same file): rule, severity, message and span, whole-text findings first.
  const fixture = join(root, 'tests', 'fixtures', 'messaging', 'check');
  const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8'));
  const text = readFileSync(join(fixture, 'draft.txt'), 'utf8');
  for (const engine of [a, b]) {
    const findings = engine.checkMessage(text, expected.audience).findings;
    assert.deepEqual(
      findings,
      expected.findings.map(({ rule, severity, message, span }) => ({ rule, severity, message, span })),
    );
  }
  // What it leaves out, and says so.
  assert.equal(typeof b.analyze, 'undefined');
  assert.throws(
    () => new widget.Baton({ workspace: { timezone: 'America/New_York' } }),
    (e) => e.code === 'config' && e.key === 'workspace.timezone' && /widget build/.test(e.message),
  );
  // The analyses' sections (calendar, SLAs, friction, lead quality, attribution, chassis) are
  // accepted unread: none of its calls reads them. The full engine checks them; any other key is
  // an error in both.
  const analyses = { sla: { first_touch: { from_stage: 'nowhere' } }, calendar: { hours: ['9'] } };
  assert.deepEqual(new widget.Baton({ ...config, ...analyses }).scoreLead(lead, events, '2026-02-01T00:00:00Z'), a.scoreLead(lead, events, '2026-02-01T00:00:00Z'));
  assert.throws(() => new full.Baton({ ...config, ...analyses }), (e) => e.code === 'config' && /^(sla|calendar)\./.test(e.key));
  assert.throws(() => new widget.Baton({ ...config, scorng: {} }), (e) => e.code === 'config' && /scorng/.test(e.message));
  const tzif = readFileSync(join(scratch, 'node_modules', 'baton-engine', 'tz', 'America', 'New_York'));
  assert.throws(
    () => new widget.Baton({ workspace: { timezone: 'America/New_York' } }, tzif),
    (e) => e.code === 'config' && /knows UTC only/.test(e.message),
  );
});

test('the package ships the bundled time-zone database as TZif files; the Node entry finds them', () => {
  const pkg = join(scratch, 'node_modules', 'baton-engine');
  const { timeZoneData, Baton } = createRequire(join(scratch, 'package.json'))('baton-engine');
  // Every zone file is TZif (magic "TZif") and the main Node entry reads it by IANA name.
  const ny = timeZoneData('America/New_York');
  assert.equal(Buffer.from(ny.subarray(0, 4)).toString('latin1'), 'TZif');
  assert.equal(timeZoneData('../package.json'), undefined);
  assert.equal(timeZoneData('Mars/Olympus'), undefined);
  // No zone given: the Node entry loads it; an unknown one is a config error naming it.
  assert.doesNotThrow(() => new Baton('[workspace]\ntimezone = "Europe/Berlin"\n'));
  assert.throws(() => new Baton('[workspace]\ntimezone = "Mars/Olympus"\n'), (e) => e.code === 'config' && /Mars\/Olympus/.test(e.message));
  const zones = execFileSync('find', [join(pkg, 'tz'), '-type', 'f']).toString().trim().split('\n');
  assert.ok(zones.length > 400, `${zones.length} zones`);
});

const tools = join(root, 'target', 'npm', 'tools');

test('the TypeScript types are generated from the Rust types and type-check a caller', () => {
  const dts = readFileSync(join(scratch, 'node_modules', 'baton-engine', 'types.d.ts'), 'utf8');
  assert.match(dts, /Generated from the Rust types/);
  assert.match(dts, /export interface Report \{/);
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['esnext', 'dom'], skipLibCheck: false },
    files: ['use.ts'],
  }));
  writeFileSync(join(scratch, 'use.ts'), `
import { Baton, type Report, type LiveScore, type MessageCheck, type SlaClock } from 'baton-engine';
const baton = new Baton('');
const report: Report = baton.analyze();
const leads: number = report.summary.leads;
const score: LiveScore = baton.scoreLead({ lead_id: 'x', created_at: '2026-01-01T00:00:00Z' }, []);
const points: number = score.score + score.reasons.length + score.warnings.length;
const check: MessageCheck = baton.checkMessage('hello', 'champion');
const missed: string[] = check.pillars_missed;
const clocks: SlaClock[] = baton.slaClock('x');
const sla: string = clocks[0].status;
// @ts-expect-error: reports have no such section
report.summary.no_such_field;
// @ts-expect-error: scores are numbers
const wrong: string = score.score;
export { leads, points, missed, sla, wrong };
`);
  execFileSync(join(tools, 'node_modules', '.bin', 'tsc'), ['-p', scratch], { stdio: 'inherit' });
});

test('report.json and every live answer validate against the schema behind the types', () => {
  const require = createRequire(join(tools, 'package.json'));
  const Ajv2020 = require('ajv/dist/2020').default;
  const schema = JSON.parse(readFileSync(join(scratch, 'node_modules', 'baton-engine', 'schema.json'), 'utf8'));
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(schema, 'api');
  const valid = (name, value) => {
    const ok = ajv.validate({ $ref: `api#/$defs/${name}` }, value);
    assert.ok(ok, `${name}: ${ajv.errorsText(ajv.errors, { separator: '\n' })}`);
  };
  valid('Report', JSON.parse(nativeReport(acme)));
  valid('Report', JSON.parse(nativeReport(join(root, 'tests', 'fixtures', 'dirty'))));
  const { Baton } = require(join(scratch, 'node_modules', 'baton-engine'));
  const baton = new Baton(readFileSync(join(acme, 'baton.toml'), 'utf8'));
  baton.loadWorkspace(files(acme));
  const lead = { lead_id: 'T1', created_at: '2026-01-01T00:00:00Z', employees: 800, persona: 'champion' };
  const events = [{ ts: '2026-01-05T10:00:00Z', type: 'pricing_page_view', channel: 'web' }];
  valid('LiveScore', baton.scoreLead(lead, events));
  valid('LiveScore', baton.scoreLead({ ...lead, employees: 'many' }, [{ ...events[0], ts: '2025-12-01T00:00:00Z' }]));
  valid('Qualification', baton.qualify(lead, events));
  valid('MessageCheck', baton.checkMessage('We cut onboarding time by 40% — guaranteed results.', 'champion'));
  for (const s of baton.nextBestContent('L0000002')) valid('Suggestion', s);
  for (const c of baton.slaClock('L0000002')) valid('SlaClock', c);
  valid('Attribution', baton.attribution([{ touches: [{ channel: 'web' }, { channel: 'email' }], converted: true, revenue: 10 }]));
});
