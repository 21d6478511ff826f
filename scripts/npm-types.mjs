// Generates the npm package's TypeScript types from the JSON Schema that the Rust types produce
// (`cargo run -p baton-wasm --example schema --features schema`), and prepends them to
// wasm-bindgen's declarations, whose methods name these types (unchecked_return_type).
//   node scripts/npm-types.mjs SCHEMA.json TOOLS_DIR PACKAGE_DIR
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [schemaPath, tools, pkg] = process.argv.slice(2);
const require = createRequire(join(resolve(tools), 'package.json'));
const { compile } = require('json-schema-to-typescript');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
let ts = await compile(schema, 'BatonApi', {
  bannerComment: '/* Generated from the Rust types by scripts/npm-types.mjs: do not edit. */',
  additionalProperties: false,
  unreachableDefinitions: true,
  format: true,
  strictIndexSignatures: false,
});
// Every definition is exported; the root object type itself is not useful to callers.
writeFileSync(join(pkg, 'types.d.ts'), ts);
for (const dir of ['node', 'web']) {
  const dts = join(pkg, dir, 'baton_wasm.d.ts');
  const body = readFileSync(dts, 'utf8');
  writeFileSync(dts, `import type { Report, LeadScore, LiveScore, Qualification, MessageCheck, Suggestion, SlaClock, Attribution, AttributionPath, Config } from '../types';\nexport type * from '../types';\n${body}`);
}
console.log(`types: ${(ts.match(/^export (interface|type) /gm) ?? []).length} declarations`);
