// Go's time.ParseDuration, written for the rules (cert-manager and KubeDB read these
// strings with Go). Returns nanoseconds as a bigint so every boundary compares exactly,
// or an error text worded like Go's (`time: invalid duration "1d"`).

import { quoteString } from '../field/quote.js';

export type DurationResult = { ok: true; ns: bigint } | { ok: false; error: string };

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SEC = 1000n * MS;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US], // U+00B5 micro sign
  ['\u03bcs', US], // U+03BC Greek mu
  ['ms', MS],
  ['s', SEC],
  ['m', MIN],
  ['h', HOUR],
]);

const MAX_NS = (1n << 63n) - 1n;

export const ONE_HOUR_NS = HOUR;
export const FIVE_MINUTES_NS = 5n * MIN;

// Go quotes the input with strconv.Quote; ours is cut and escaped (../field/quote.ts).
const quote = (s: string): string => quoteString(s);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parse like Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or "0". */
export function parseGoDuration(input: string): DurationResult {
  const invalid = (): DurationResult => ({ ok: false, error: `time: invalid duration ${quote(input)}` });
  let s = input;
  let neg = false;
  if (s !== '' && (s.startsWith('-') || s.startsWith('+'))) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, ns: 0n };
  if (s === '') return invalid();
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    // integer part
    const intStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    const intDigits = s.slice(intStart, i);
    let fracDigits = '';
    if (i < s.length && s[i] === '.') {
      i++;
      const fracStart = i;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      fracDigits = s.slice(fracStart, i);
    }
    if (intDigits === '' && fracDigits === '') return invalid(); // no digits (e.g. ".s")
    // unit: everything up to the next digit or '.'
    const unitStart = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 46 /* . */ || isDigit(c)) break;
      i++;
    }
    if (unitStart === i) return { ok: false, error: `time: missing unit in duration ${quote(input)}` };
    const unitText = s.slice(unitStart, i);
    const unit = UNITS.get(unitText);
    if (unit === undefined) return { ok: false, error: `time: unknown unit ${quote(unitText)} in duration ${quote(input)}` };
    const whole = intDigits === '' ? 0n : BigInt(intDigits);
    let value = whole * unit;
    if (fracDigits !== '') {
      // Go truncates the fraction to nanosecond precision.
      const scale = 10n ** BigInt(fracDigits.length);
      value += (BigInt(fracDigits) * unit) / scale;
    }
    total += value;
    if (total > MAX_NS + (neg ? 1n : 0n)) return invalid(); // overflow, as Go reports it
  }
  return { ok: true, ns: neg ? -total : total };
}

/** Format nanoseconds the way Go's Duration.String() does (`1h0m0s`, `5m0s`, `300ms`). */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < SEC) {
    let unit: string;
    let div: bigint;
    if (u < US) {
      return `${neg ? '-' : ''}${u}ns`;
    } else if (u < MS) {
      unit = 'µs';
      div = US;
    } else {
      unit = 'ms';
      div = MS;
    }
    out = fraction(u, div) + unit;
  } else {
    const h = u / HOUR;
    u -= h * HOUR;
    const m = u / MIN;
    u -= m * MIN;
    const secs = fraction(u, SEC);
    out = h > 0n ? `${h}h${m}m${secs}s` : m > 0n ? `${m}m${secs}s` : `${secs}s`;
  }
  return neg ? `-${out}` : out;
}

function fraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return whole.toString();
  const width = div.toString().length - 1;
  const frac = rest.toString().padStart(width, '0').replace(/0+$/, '');
  return `${whole}.${frac}`;
}
