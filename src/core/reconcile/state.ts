// What a later step of a ReconfigureTLS request reads back, kept as data (SPEC 5): the
// pod uid each restart replaces and the certificate revisions before a rotation. This
// module alone writes and parses it (docs/reconciler.md, "State as data"). PURE.
//
// Where: one condition on the request's status, type `ReconcilerState`, status True,
// reason `ReconcilerState`, whose message is the JSON document
//   {"v":1,"pods":{"<pod>":"<uid>"},"revisions":{"<certificate>":<revision>}}
// (keys as listed, nothing else). It is written in the same status patch as the step it
// belongs to (GetPod--, EvictPod--, IssueCertificatesSucceeded), so progress and state
// change together. Who paused a database is not kept here: the `reason` of the Paused
// condition on the database is that datum (`pauseReason`/`pauseHolder`, src/core/names.ts).
import type { Condition } from '../../api/types.js';
import { isRecord } from '../is-record.js';
import { getCondition, type NewCondition } from './conditions.js';
import { EVICT_POD_PREFIX, GET_POD_PREFIX, STATE_CONDITION } from './names.js';

export const STATE_VERSION = 1;

export interface ReconcileState {
  /** Pod name → the uid its restart replaces (seen at GetPod--, evicted at EvictPod--;
   *  '' when no pod ran). The eviction's uid precondition, and what a replacement must differ from. */
  pods: Record<string, string>;
  /** Certificate name → its status.revision when re-issue was requested (rotate). */
  revisions: Record<string, number>;
}

export interface ReadState {
  state: ReconcileState;
  /** Where it came from: the state condition, or the legacy reader (no condition, or a corrupt one). */
  source: 'condition' | 'legacy';
  /** Why the state condition was not used (it is corrupt); the legacy reading stands in. */
  error?: string;
}

export const emptyState = (): ReconcileState => ({ pods: {}, revisions: {} });

/** The state as the condition's message (keys in a fixed order, so equal states write equal text). */
export function formatState(s: ReconcileState): string {
  return JSON.stringify({ v: STATE_VERSION, pods: sortedByKey(s.pods), revisions: sortedByKey(s.revisions) });
}

/** A copy of `r` with its keys in sort() order (code units), so JSON.stringify writes them so. */
function sortedByKey<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

const NAME_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const UID_RE = /^[A-Za-z0-9-]{0,64}$/;

/** Parses a state message; throws an Error saying what is wrong with it. */
export function parseState(message: string): ReconcileState {
  let doc: unknown;
  try {
    doc = JSON.parse(message);
  } catch {
    throw new Error(`${STATE_CONDITION}: message is not JSON`);
  }
  if (!isRecord(doc)) throw new Error(`${STATE_CONDITION}: message is not a JSON object`);
  const extra = Object.keys(doc).filter((k) => k !== 'v' && k !== 'pods' && k !== 'revisions');
  if (extra.length) throw new Error(`${STATE_CONDITION}: unknown keys ${extra.join(', ')}`);
  if (doc['v'] !== STATE_VERSION) throw new Error(`${STATE_CONDITION}: unsupported version ${JSON.stringify(doc['v'])} (want ${STATE_VERSION})`);
  const pods = doc['pods'];
  const revisions = doc['revisions'];
  if (!isRecord(pods)) throw new Error(`${STATE_CONDITION}: pods is not an object`);
  if (!isRecord(revisions)) throw new Error(`${STATE_CONDITION}: revisions is not an object`);
  const out = emptyState();
  for (const [k, v] of Object.entries(pods)) {
    if (!NAME_RE.test(k)) throw new Error(`${STATE_CONDITION}: pods: bad pod name ${JSON.stringify(k)}`);
    if (typeof v !== 'string' || !UID_RE.test(v)) throw new Error(`${STATE_CONDITION}: pods.${k}: bad uid ${JSON.stringify(v)}`);
    out.pods[k] = v;
  }
  for (const [k, v] of Object.entries(revisions)) {
    if (!NAME_RE.test(k)) throw new Error(`${STATE_CONDITION}: revisions: bad certificate name ${JSON.stringify(k)}`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${STATE_CONDITION}: revisions.${k}: bad revision ${JSON.stringify(v)}`);
    out.revisions[k] = v;
  }
  return out;
}

/** The condition that carries `s` (set in the same status patch as its step's condition). */
export function stateCondition(s: ReconcileState): NewCondition {
  return { type: STATE_CONDITION, status: 'True', reason: STATE_CONDITION, message: formatState(s) };
}

/**
 * The request's state: from its state condition; without one (a request begun before
 * the condition existed) or with a corrupt one, from the legacy reader below — the human
 * messages still carry the same facts, so nothing is lost and the next state write
 * replaces the corrupt condition with a good one.
 */
export function readState(conds: readonly Condition[] | undefined): ReadState {
  const c = getCondition(conds, STATE_CONDITION);
  if (!c) return { state: legacyState(conds), source: 'legacy' };
  try {
    return { state: parseState(c.message ?? ''), source: 'condition' };
  } catch (err) {
    return { state: legacyState(conds), source: 'legacy', error: (err as Error).message };
  }
}

// ---- LEGACY READER (requests in flight from before the ReconcilerState condition) ----
// Before the state condition, the facts lived only in human messages:
//   GetPod--<pod> / EvictPod--<pod>: "... (uid <uid>)" (EvictPod's is the evicted one;
//   "(uid none)" when no pod ran);
//   IssueCertificatesSucceeded: "... <certificate> (revision <n>), ...".
// Read here only, and only when the request has no usable state condition.
const LEGACY_UID_RE = /\(uid ([^),]*)[),]/;
const LEGACY_REVISION_RE = /([a-z0-9.-]+) \(revision (\d+)\)/g;

export function legacyState(conds: readonly Condition[] | undefined): ReconcileState {
  const out = emptyState();
  for (const prefix of [GET_POD_PREFIX, EVICT_POD_PREFIX]) {
    for (const c of conds ?? []) {
      if (!c.type.startsWith(prefix) || c.status !== 'True') continue;
      const uid = LEGACY_UID_RE.exec(c.message ?? '')?.[1];
      if (uid === undefined) continue;
      out.pods[c.type.slice(prefix.length)] = uid === 'none' ? '' : uid;
    }
  }
  for (const m of (getCondition(conds, 'IssueCertificatesSucceeded')?.message ?? '').matchAll(LEGACY_REVISION_RE)) {
    const [, certificate, revision] = m;
    if (certificate !== undefined) out.revisions[certificate] = Number(revision);
  }
  return out;
}
