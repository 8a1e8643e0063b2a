// Structural equality of JSON values, shared by the engine (spec-immutable, the JSON
// Patch `test` op) and the reconciler's planner. Iterative with an explicit work list,
// so a value nested 100,000 levels deep (an UPDATE's spec is untrusted input) is
// compared like any other instead of overflowing the call stack. PURE.

/**
 * Whether two JSON values are equal: same primitives, arrays of equal length with equal
 * elements in order, objects with the same keys (order ignored) and equal values. An
 * object key whose value is `undefined` counts as absent (as in JSON.stringify).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  // Pairs still to compare, flattened: [x0, y0, x1, y1, ...].
  const work: unknown[] = [a, b];
  while (work.length > 0) {
    const y = work.pop();
    const x = work.pop();
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    const xArray = Array.isArray(x);
    if (xArray !== Array.isArray(y)) return false;
    if (xArray) {
      const xs = x as unknown[];
      const ys = y as unknown[];
      if (xs.length !== ys.length) return false;
      for (let i = 0; i < xs.length; i++) work.push(xs[i], ys[i]);
      continue;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    let xKeys = 0;
    for (const k of Object.keys(xo)) {
      if (xo[k] === undefined) continue;
      xKeys++;
      if (!Object.prototype.hasOwnProperty.call(yo, k)) return false;
      work.push(xo[k], yo[k]);
    }
    let yKeys = 0;
    for (const k of Object.keys(yo)) if (yo[k] !== undefined) yKeys++;
    if (xKeys !== yKeys) return false;
  }
  return true;
}
