// The one test for "a JSON object" (not null, not an array) used wherever untyped input
// is walked: admission bodies, CLI documents, defaults, decision logs. PURE.
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
