'use strict';
// The package's Node entry: the nodejs build, with each engine's time-zone rules read from the
// package's tz/ folder (the wasm engine carries no time-zone database; these are the TZif files
// of the database `baton analyze` bundles, so both give the same answers).
const engine = require('./node/baton_wasm.js');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ZONE = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;

/** The TZif bytes of an IANA zone shipped in `tz/`, or undefined for a name it does not have. */
function timeZoneData(zone) {
  if (typeof zone !== 'string' || !ZONE.test(zone)) return undefined;
  try {
    return new Uint8Array(readFileSync(join(__dirname, 'tz', ...zone.split('/'))));
  } catch {
    return undefined; // the engine then names the unknown zone in its `config` error
  }
}

/** `Baton` that finds its configuration's time zone in the package when none is given. */
class Baton extends engine.Baton {
  constructor(config, timeZone) {
    if (timeZone === undefined || timeZone === null) {
      const zone = engine.Baton.timeZoneOf(config);
      timeZone = zone === undefined ? undefined : timeZoneData(zone);
    }
    super(config, timeZone);
  }
}

module.exports = { ...engine, Baton, timeZoneData };
