// The one place untrusted values are shown to people (issue 16, docs/security.md):
// denial messages and causes, warnings, 400/413/415 reasons, CLI output, reconciler
// conditions and Events, log lines. Whatever the input, what comes out is bounded:
//   quote(v)          a value as a message names it: a string JSON-quoted (control and
//                     invisible characters escaped) and cut after QUOTE_MAX characters of
//                     its quoted form with `… (N more characters)`; a number or boolean
//                     as is; an object or array summarised by type and size, never dumped.
//   boundText(s, max) free text that may embed such values (a message, a log field):
//                     control characters escaped, any run of more than RUN_MAX
//                     characters without a space cut in place, and the whole cut to at
//                     most `max` characters.
// Both have a fast path: a short string with nothing to escape is returned as it comes
// (quote: as JSON.stringify gives it), so quoting costs a length check and one regex test.
// PURE.

/** Characters of a string value shown (of its quoted, escaped form, quotes aside). */
export const QUOTE_MAX = 256;
/** Longest run without a space kept in free text (a quoted value plus its quotes fits). */
export const RUN_MAX = QUOTE_MAX + 16;
/** A finding's message (and so a cause's message). */
export const MESSAGE_MAX = 1024;
/** A field path (only an unknown key can make one long). */
export const FIELD_MAX = QUOTE_MAX;
/** A warning: the API server cuts longer ones; SPEC asks for 120 where it can be. */
export const WARNING_MAX = 256;
/** Longest run without a space kept in a warning (a DNS-1123 name of 128 fits whole). */
export const WARNING_RUN_MAX = 128;
/** An object's name or namespace as an answer or the CLI echoes it: a Kubernetes name is at most 253 characters. */
export const NAME_MAX = 253;
/** A string field of a log line (uid, user, names, reasons, error texts). */
export const LOG_FIELD_MAX = QUOTE_MAX;
/** The denial's aggregate message (status.message), however many findings. */
export const AGGREGATE_MAX = 4096;
/** A condition message the reconciler writes (a Failed one holds the aggregate). */
export const CONDITION_MESSAGE_MAX = AGGREGATE_MAX;
/** An Event's message (events.k8s.io caps a note at 1 KB). */
export const EVENT_MESSAGE_MAX = 1024;

/**
 * What must be escaped beyond JSON.stringify's own escapes: C0 controls (JSON escapes
 * them; listed so free text escapes them too), DEL and C1 controls, the line and
 * paragraph separators, and the bidirectional overrides and isolates that can make a
 * terminal or a browser show text in another order than it is stored.
 */
// eslint-disable-next-line no-control-regex -- finding C0 controls is this pattern's job
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const EXTRA_RE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
// eslint-disable-next-line no-control-regex -- finding C0 controls is this pattern's job
const CONTROL_ALL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function escapeChar(c: string): string {
  return SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** `… (N more characters)` */
export function moreText(n: number): string {
  return `… (${n} more character${n === 1 ? '' : 's'})`;
}

/**
 * The first characters of `s` whose escaped form (`esc`) fits `budget`, and how many
 * characters of `s` that took. A surrogate pair is never split.
 */
function escapedHead(s: string, budget: number, esc: (c: string, code: number) => string | undefined): { head: string; used: number } {
  let head = '';
  let i = 0;
  while (i < s.length) {
    const code = s.charCodeAt(i);
    let piece: string;
    let width = 1;
    if (isHigh(code) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      piece = s.slice(i, i + 2);
      width = 2;
    } else {
      const c = s.charAt(i);
      piece = esc(c, code) ?? c;
    }
    if (head.length + piece.length > budget) break;
    head += piece;
    i += width;
  }
  return { head, used: i };
}

function jsonEscape(c: string, code: number): string | undefined {
  if (c === '"') return '\\"';
  if (c === '\\') return '\\\\';
  if (code < 0x20 || CONTROL_RE.test(c)) return escapeChar(c);
  if (isHigh(code) || isLow(code)) return `\\u${code.toString(16)}`; // a lone surrogate
  return undefined;
}

/** A string JSON-quoted, escaped, at most `max` characters of it shown. */
export function quoteString(s: string, max: number = QUOTE_MAX): string {
  if (s.length <= max) {
    const q = JSON.stringify(s);
    if (q.length <= max + 2 && !EXTRA_RE.test(s)) return q;
  }
  const { head, used } = escapedHead(s, max, jsonEscape);
  return used >= s.length ? `"${head}"` : `"${head}"${moreText(s.length - used)}`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A value as a message names it (see the header). */
export function quote(v: unknown, max: number = QUOTE_MAX): string {
  if (typeof v === 'string') return quoteString(v, max);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return boundText(String(v), max);
  if (Array.isArray(v)) return `<array of ${count(v.length, 'item', 'items')}>`;
  if (typeof v === 'object') return `<object with ${count(Object.keys(v).length, 'key', 'keys')}>`;
  return `<${typeof v}>`;
}

function textEscape(c: string, code: number): string | undefined {
  if (code < 0x20 || CONTROL_RE.test(c)) return escapeChar(c);
  return undefined;
}

/** Whitespace as `\s` has it (what ends a run). */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/**
 * Cut every run of more than `runMax` non-space characters to `runMax` (runMax - 1 of
 * its characters and the `…`), saying how much went. One pass; `s` itself when no run
 * is that long.
 */
function cutLongRuns(s: string, runMax: number): string {
  let out: string | undefined;
  let last = 0;
  let start = 0;
  const n = s.length;
  for (let i = 0; i <= n; i++) {
    if (i < n) {
      const c = s.charCodeAt(i);
      if ((c > 32 && c < 0x7f) || !isSpace(c)) continue;
    }
    // a run is s[start, i)
    if (i - start > runMax) {
      let keep = runMax - 1;
      if (isHigh(s.charCodeAt(start + keep - 1))) keep--;
      out = (out ?? '') + s.slice(last, start + keep) + moreText(i - start - keep);
      last = i;
    }
    start = i + 1;
  }
  return out === undefined ? s : out + s.slice(last);
}

/**
 * Free text made safe to show: control characters escaped, every run of more than
 * `runMax` characters without a space cut in place, at most `max` characters in all.
 * `lead`: the length of a safe text ending in a space (a field path and `: `) that
 * will stand before `s`; `s` is cut as that whole line would be, so that
 * lead + boundText(s, max, runMax, lead.length) is boundText(lead + s, max, runMax).
 */
export function boundText(s: string, max: number, runMax: number = RUN_MAX, lead = 0): string {
  const control = CONTROL_RE.test(s);
  if (!control && lead + s.length <= max && s.length <= runMax) return s;
  let t = control ? s.replace(CONTROL_ALL_RE, (c) => escapeChar(c)) : s;
  if (t.length > runMax) t = cutLongRuns(t, runMax);
  if (lead + t.length <= max) return t;
  // Room for the suffix (its digits are at most those of the whole line's length).
  const reserve = moreText(lead + t.length).length;
  let { head, used } = escapedHead(t, Math.max(0, max - lead - reserve), textEscape);
  // The `…` joins the head's last run: keep that run within runMax too (idempotence).
  const lastRun = (/\S*$/.exec(head)?.[0] ?? '').length; // \S*$ always matches
  if (lastRun > runMax - 1) {
    let drop = lastRun - (runMax - 1);
    if (isHigh(head.charCodeAt(head.length - drop - 1))) drop++;
    head = head.slice(0, head.length - drop);
    used -= drop;
  }
  return `${head}${moreText(t.length - used)}`;
}

/** Any value as free text of at most `max` characters (a string bounded; anything else quoted). */
export function boundValue(v: unknown, max: number = LOG_FIELD_MAX): string {
  return typeof v === 'string' ? boundText(v, max) : quote(v, max);
}
