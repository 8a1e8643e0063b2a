// A strict RFC 6902 applier written for the tests, independent of the engine's own
// applyPatch: every rule of the RFC that a patch can break is an error here.
//   - the path is a JSON Pointer (RFC 6901): "" or "/"-separated tokens, ~0 and ~1 only;
//   - add: the parent must exist; array index in 0..length or "-"; on an object it
//     adds or replaces the member;
//   - remove / replace: the target must exist; array index in 0..length-1;
//   - test: the target must exist and deep-equal the value;
//   - array indices are decimal without leading zeros;
//   - move / copy are not emitted by the defaulter and are refused.
// The input is never modified.

export class StrictPatchError extends Error {
  override name = 'StrictPatchError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new StrictPatchError(`path ${JSON.stringify(p)} does not start with "/"`);
  return p
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t)) throw new StrictPatchError(`path ${JSON.stringify(p)} has a bad escape in ${JSON.stringify(t)}`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function arrayIndex(token: string, len: number, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return len;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new StrictPatchError(`path ${path}: ${JSON.stringify(token)} is not an array index`);
  const i = Number(token);
  if (i > len || (!allowEnd && i === len)) throw new StrictPatchError(`path ${path}: index ${i} out of bounds (length ${len})`);
  return i;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** Apply `patch` to a copy of `doc`; throws StrictPatchError on any violation. */
export function strictApply(doc: unknown, patch: readonly PatchOperation[]): unknown {
  if (!Array.isArray(patch)) throw new StrictPatchError('a patch is a JSON array');
  let root = clone(doc) as Json;
  for (const [n, op] of patch.entries()) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new StrictPatchError(`operation ${n} needs string op and path`);
    const tokens = parsePointer(op.path);
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !Object.prototype.hasOwnProperty.call(op, 'value')) throw new StrictPatchError(`operation ${n} (${op.op}) has no value`);
    if (needsValue && op.value === undefined) throw new StrictPatchError(`operation ${n} (${op.op}) has an undefined value`);
    if (op.op !== 'add' && op.op !== 'remove' && op.op !== 'replace' && op.op !== 'test') throw new StrictPatchError(`operation ${n}: op ${JSON.stringify(op.op)} not supported here`);
    const last = tokens.at(-1);
    if (last === undefined) {
      if (op.op === 'add' || op.op === 'replace') root = clone(op.value) as Json;
      else if (op.op === 'test') {
        if (!deepEqual(root, op.value)) throw new StrictPatchError(`operation ${n}: test failed at the root`);
      } else throw new StrictPatchError(`operation ${n}: cannot remove the root`);
      continue;
    }
    let parent: unknown = root;
    for (const t of tokens.slice(0, -1)) {
      if (Array.isArray(parent)) parent = parent[arrayIndex(t, parent.length, false, op.path)];
      else if (isObj(parent)) {
        if (!Object.prototype.hasOwnProperty.call(parent, t)) throw new StrictPatchError(`operation ${n}: ${op.path}: ${JSON.stringify(t)} does not exist`);
        parent = parent[t];
      } else throw new StrictPatchError(`operation ${n}: ${op.path}: cannot descend into a ${parent === null ? 'null' : typeof parent}`);
    }
    if (Array.isArray(parent)) {
      if (op.op === 'add') parent.splice(arrayIndex(last, parent.length, true, op.path), 0, clone(op.value) as Json);
      else {
        const i = arrayIndex(last, parent.length, false, op.path);
        if (op.op === 'remove') parent.splice(i, 1);
        else if (op.op === 'replace') parent[i] = clone(op.value) as Json;
        else if (!deepEqual(parent[i], op.value)) throw new StrictPatchError(`operation ${n}: test failed at ${op.path}`);
      }
    } else if (isObj(parent)) {
      const has = Object.prototype.hasOwnProperty.call(parent, last);
      if (op.op === 'add') parent[last] = clone(op.value);
      else if (!has) throw new StrictPatchError(`operation ${n}: ${op.op} ${op.path}: the target does not exist`);
      else if (op.op === 'remove') Reflect.deleteProperty(parent, last);
      else if (op.op === 'replace') parent[last] = clone(op.value);
      else if (!deepEqual(parent[last], op.value)) throw new StrictPatchError(`operation ${n}: test failed at ${op.path}`);
    } else {
      throw new StrictPatchError(`operation ${n}: ${op.path}: the parent is a ${parent === null ? 'null' : typeof parent}, not an object or array`);
    }
  }
  return root;
}
