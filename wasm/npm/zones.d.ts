/** The TZif bytes of `zone` from `base` (default: the package's tz/ folder); undefined if absent. */
export declare function fetchTimeZone(zone: string, base?: string | URL): Promise<Uint8Array | undefined>;
