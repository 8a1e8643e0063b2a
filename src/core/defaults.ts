// SPEC 2: defaults of a ReconfigureTLS SinglestoreOpsRequest, as an RFC 6902 JSON Patch.
// Runs before the schema check, so it never throws: on anything it cannot default safely
// it emits nothing for that part. Idempotent: defaulting a defaulted object yields [].
// A null counts as absent for the defaulted fields (the API server prunes such nulls and
// then applies the CRD defaults); an `add` replaces an existing member, so the same op
// serves both cases.
// Also here: applyPatch, a pure RFC 6902 applier that copies only the containers it changes.
import { CERT_MANAGER_GROUP } from '../api/types.js';
import type { PatchOp } from './findings.js';
import { copyObject, setOwn } from './copy.js';
import { jsonEqual } from './json-equal.js';
import { isRecord } from './is-record.js';

export const DEFAULT_APPLY = 'IfReady';

export interface EngineOptions {
  /** Value of spec.timeout written by default-timeout (SPEC 2). Default "10m". */
  defaultTimeout: string;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { defaultTimeout: '10m' };

/** The default patch's constant paths (per-certificate issuerRef paths are built per index). */
const APPLY_PATH = '/spec/apply';
const TIMEOUT_PATH = '/spec/timeout';
const ISSUER_GROUP_PATH = '/spec/tls/issuerRef/apiGroup';

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

const absent = (v: unknown): boolean => v === undefined || v === null;

/** Escape one JSON Pointer reference token (RFC 6901). */
export function escapePointerToken(t: string): string {
  return !t.includes('~') && !t.includes('/') ? t : t.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The reference token an escaped one stands for (RFC 6901: `~1` is `/`, `~0` is `~`). */
export function unescapePointerToken(t: string): string {
  return !t.includes('~') ? t : t.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** JSON Pointer from reference tokens: pointer('spec', 'tls') -> `/spec/tls`. */
export function pointer(...tokens: (string | number)[]): string {
  let out = '';
  for (const t of tokens) out += `/${typeof t === 'number' ? String(t) : escapePointerToken(t)}`;
  return out;
}

/**
 * The default patch for one object (SPEC 2), in a stable order: default-apply, then
 * default-issuer-group (spec.tls.issuerRef, then certificates[0..n].issuerRef), then
 * default-timeout. Empty for anything but a ReconfigureTLS SinglestoreOpsRequest.
 */
export function defaultPatch(object: unknown, options: EngineOptions = DEFAULT_ENGINE_OPTIONS): PatchOp[] {
  if (!isRecord(object)) return [];
  const kind = own(object, 'kind');
  if (kind !== undefined && kind !== 'SinglestoreOpsRequest') return [];
  const spec = own(object, 'spec');
  if (!isRecord(spec) || own(spec, 'type') !== 'ReconfigureTLS') return [];
  const ops: PatchOp[] = [];
  // default-apply
  if (absent(own(spec, 'apply'))) ops.push({ op: 'add', path: APPLY_PATH, value: DEFAULT_APPLY });
  // default-issuer-group
  const tls = own(spec, 'tls');
  if (isRecord(tls)) {
    const ref = own(tls, 'issuerRef');
    if (isRecord(ref) && absent(own(ref, 'apiGroup'))) {
      ops.push({ op: 'add', path: ISSUER_GROUP_PATH, value: CERT_MANAGER_GROUP });
    }
    const certs = own(tls, 'certificates');
    if (Array.isArray(certs)) {
      for (let i = 0; i < certs.length; i++) {
        const c: unknown = certs[i];
        if (!isRecord(c)) continue;
        const cref = own(c, 'issuerRef');
        if (isRecord(cref) && absent(own(cref, 'apiGroup'))) {
          ops.push({ op: 'add', path: pointer('spec', 'tls', 'certificates', i, 'issuerRef', 'apiGroup'), value: CERT_MANAGER_GROUP });
        }
      }
    }
  }
  // default-timeout
  if (absent(own(spec, 'timeout'))) ops.push({ op: 'add', path: TIMEOUT_PATH, value: options.defaultTimeout });
  return ops;
}

// ---- RFC 6902 ------------------------------------------------------------------

export class PatchError extends Error {
  constructor(
    message: string,
    readonly op: PatchOp,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/**
 * The default patch's constant paths, split once (they are applied on every admission
 * request); other paths are split each time. The arrays are shared: callers only read them.
 */
const PARSED_DEFAULT_PATHS: ReadonlyMap<string, readonly string[]> = new Map(
  [APPLY_PATH, TIMEOUT_PATH, ISSUER_GROUP_PATH].map((p) => [p, p.slice(1).split('/')] as const),
);

function parsePointer(p: string, op: PatchOp): readonly string[] {
  const known = PARSED_DEFAULT_PATHS.get(p);
  if (known) return known;
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON Pointer ${JSON.stringify(p)}`, op);
  const tokens = p.slice(1).split('/');
  if (!p.includes('~')) return tokens;
  return tokens.map(unescapePointerToken);
}

/**
 * A shallow copy of a container, made at most once per patch: `owned` holds the copies
 * this patch has made already (changing those in place keeps the input untouched). An
 * array, not a Set: a patch touches a handful of containers, and a Set would stamp an
 * identity hash on every input object it is asked about.
 */
function shallowCopy(v: unknown, owned: unknown[]): unknown {
  if (owned.includes(v)) return v;
  let c: unknown;
  if (Array.isArray(v)) c = v.slice();
  else if (isRecord(v)) c = copyObject(v); // not spread: see copy.ts
  else return v;
  owned.push(c);
  return c;
}

const ARRAY_INDEX_RE = /^(0|[1-9][0-9]*)$/;

function arrayIndex(tok: string, len: number, allowEnd: boolean, op: PatchOp): number {
  if (allowEnd && tok === '-') return len;
  if (!ARRAY_INDEX_RE.test(tok)) throw new PatchError(`invalid array index ${JSON.stringify(tok)} in ${op.path}`, op);
  const i = Number(tok);
  if (i > len || (!allowEnd && i >= len)) throw new PatchError(`array index ${i} out of bounds in ${op.path}`, op);
  return i;
}

function applyOne(doc: unknown, op: PatchOp, owned: unknown[]): unknown {
  const tokens = parsePointer(op.path, op);
  if (op.op === 'test') {
    let cur: unknown = doc;
    for (const t of tokens) {
      if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, op)];
      else if (isRecord(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
      else throw new PatchError(`path ${op.path} does not exist`, op);
    }
    if (!jsonEqual(cur, op.value)) throw new PatchError(`test failed at ${op.path}`, op);
    return doc;
  }
  if (tokens.length === 0) {
    if (op.op === 'remove') throw new PatchError('cannot remove the whole document', op);
    return op.value;
  }
  // Copy the containers along the path, then change the last one.
  const root = shallowCopy(doc, owned);
  let parent: unknown = root;
  const last = tokens[tokens.length - 1] ?? ''; // tokens is not empty (the whole document is handled above)
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) {
      const idx = arrayIndex(t, parent.length, false, op);
      const next = shallowCopy(parent[idx], owned);
      parent[idx] = next;
      parent = next;
    } else if (isRecord(parent) && Object.prototype.hasOwnProperty.call(parent, t)) {
      const next = shallowCopy(parent[t], owned);
      setOwn(parent, t, next);
      parent = next;
    } else {
      throw new PatchError(`path ${op.path} does not exist`, op);
    }
  }
  if (Array.isArray(parent)) {
    if (op.op === 'add') parent.splice(arrayIndex(last, parent.length, true, op), 0, op.value);
    else if (op.op === 'replace') parent[arrayIndex(last, parent.length, false, op)] = op.value;
    else parent.splice(arrayIndex(last, parent.length, false, op), 1);
  } else if (isRecord(parent)) {
    const exists = Object.prototype.hasOwnProperty.call(parent, last);
    if (op.op !== 'add' && !exists) throw new PatchError(`path ${op.path} does not exist`, op);
    if (op.op === 'remove') Reflect.deleteProperty(parent, last);
    else setOwn(parent, last, op.value);
  } else {
    throw new PatchError(`path ${op.path} does not exist`, op);
  }
  return root;
}

/** Apply an RFC 6902 patch; pure (the input is never changed). Throws PatchError. */
export function applyPatch(object: unknown, patch: readonly PatchOp[]): unknown {
  let doc = object;
  const owned: unknown[] = [];
  for (const op of patch) doc = applyOne(doc, op, owned);
  return doc;
}
