export * from './node/baton_wasm';
/** The TZif bytes of an IANA zone shipped in the package's `tz/` folder (undefined if absent). */
export declare function timeZoneData(zone: string): Uint8Array | undefined;
