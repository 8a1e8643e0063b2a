// A shallow copy of a plain (JSON) object that stays fast and safe.
//  - Not `{ ...v }`: V8 takes a slow runtime path (about 1 µs) for every property added
//    later to an object made by spread, and the admission path adds defaults to copies.
//  - Not `Object.assign({}, v)`: it assigns with [[Set]], so an own "__proto__" key (which
//    JSON.parse creates from untrusted input) would replace the copy's prototype.
// An own "__proto__" key is copied as an own data property, as spread would.

export function copyObject<T extends object>(v: T): T {
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(src);
  for (const k of keys) {
    setOwn(out, k, src[k]);
  }
  return out as T;
}

/** copyObject(v) with `key` set to `value` (added or replaced) as an own data property. */
export function withKey<T extends object>(v: T, key: string, value: unknown): T {
  const out = copyObject(v) as Record<string, unknown>;
  setOwn(out, key, value);
  return out as T;
}

/** obj[key] = value as an own data property, even for the key "__proto__". */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
