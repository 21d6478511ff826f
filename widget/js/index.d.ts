// baton-engine/widget: a compiled scoring program run for one visitor (see docs/widget.md).
export { default, default as init, initSync } from './baton_widget.js';

/** A time: a Date, milliseconds since 1970, or an ISO 8601 text (read as UTC without an offset). */
export type Time = Date | number | string;

/** A touch as a page records it. */
export interface Touch {
  ts: Time;
  type: string;
  channel: string;
  team?: 'marketing' | 'sales' | 'cs';
  campaign?: string;
  asset_id?: string;
}

/** One rule that gave points. */
export interface Reason {
  rule: string;
  kind: 'fit' | 'engagement';
  points: number;
}

/** A visitor's score: the engine's numbers, named. */
export interface VisitorScore {
  score: number;
  fit: number;
  engagement: number;
  mql: boolean;
  grade: 'A' | 'B' | 'C' | 'D' | null;
  priority: string | null;
  reasons: Reason[];
}

/** One criteria set's verdict (the engine's `Verdict`, plugin reasons aside). */
export interface Verdict {
  set: string;
  qualified: boolean;
  passed: string[];
  failed: string[];
  missing_data: { criterion: string; missing: string; ask?: string }[];
}

/** Microseconds since 1970. */
export function micros(t: Time): number;

/** One visitor scored by a program. */
export class Visitor {
  constructor(program: Uint8Array | ArrayBuffer);
  static readonly formatVersion: number;
  readonly rules: { name: string; kind: 'fit' | 'engagement'; index: number }[];
  readonly attributes: string[];
  readonly mqlThreshold: number;
  readonly sets: { name: string; criteria: { name: string; ask: string | null; plugin: string | null }[] }[];
  qualify(asOf?: Time): Verdict[];
  set(attributes: Record<string, number | boolean | string | null | undefined>): string[];
  addTouch(touch: Touch): void;
  clearTouches(): void;
  scoreNumbers(asOf?: Time): Float64Array;
  score(asOf?: Time): VisitorScore;
  name(numbers: Float64Array): VisitorScore;
  free(): void;
}
