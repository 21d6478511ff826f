// Time-zone rules for the web builds, which carry no time-zone database: fetches the TZif file of
// an IANA zone from the package's tz/ folder (the same bytes the native engine bundles).
//
//   import init, { Baton } from 'baton-engine/web';
//   import { fetchTimeZone } from 'baton-engine/zones';
//   await init();
//   const zone = Baton.timeZoneOf(toml);            // undefined for UTC
//   const baton = new Baton(toml, zone && await fetchTimeZone(zone));

const ZONE = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;

/** The TZif bytes of `zone` from `base` (default: the package's tz/ folder); undefined if absent. */
export async function fetchTimeZone(zone, base = new URL('./tz/', import.meta.url)) {
  if (typeof zone !== 'string' || !ZONE.test(zone)) return undefined;
  const response = await fetch(new URL(zone, base));
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
}
