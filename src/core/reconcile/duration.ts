// Durations for the planner, in milliseconds. PURE. The parsing itself is the engine's
// Go time.ParseDuration (src/core/rules/duration.ts), so the webhook's `timeout` rule
// and the reconciler's timeouts can never disagree about what a duration means.
import { parseGoDuration } from '../rules/duration.js';

/** Milliseconds of a Go duration such as `10m`, `1h30m`, `2.5s`; undefined if malformed. */
export function durationMs(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const r = parseGoDuration(text);
  return r.ok ? Number(r.ns) / 1e6 : undefined;
}
