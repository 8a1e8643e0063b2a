// SPEC 3b: cluster rules. They read the ClusterView only; no I/O of their own.
// "Another request": same namespace, same spec.databaseRef.name, different metadata.name.
import { CERT_MANAGER_GROUP, NON_TERMINAL_PHASES, type Condition, type Issuer, type Singlestore, type SinglestoreOpsRequest } from '../../api/types.js';
import { forbidden, notFound, required } from '../field/errors.js';
import type { Finding, ReviewResult, Warning } from '../findings.js';
import type { ClusterView } from '../view.js';
import { deny, issuerRefsOf, warn } from './common.js';
import { nameOf } from '../meta.js';
import { ISSUER_KINDS } from './static.js';
import type { RuleId } from './table.js';
import { pauseHolder } from '../names.js';

export interface ClusterInput {
  object: SinglestoreOpsRequest;
  /** The request's namespace ("default" when absent). */
  namespace: string;
  view: ClusterView;
}

/** Cluster rules that need the database to exist (skipped when database-exists fails). */
export const NEEDS_DATABASE: readonly RuleId[] = ['database-halted', 'database-paused', 'tls-not-enabled', 'database-not-ready', 'no-op'];

function condition(conds: Condition[] | undefined, type: string): Condition | undefined {
  if (!Array.isArray(conds)) return undefined;
  const entries: readonly (Condition | null | undefined)[] = conds; // a list from the wire may hold nulls
  for (const c of entries) if (c?.type === type) return c;
  return undefined;
}

function phaseText(phase: string | undefined): string {
  return phase ? phase : 'not yet started (phase "")';
}

export function databaseHalted(db: Singlestore, dbRef: string): Finding[] {
  if (db.spec?.halted === true || db.status?.phase === 'Halted') {
    const why = db.spec?.halted === true ? 'spec.halted is true' : 'its phase is Halted';
    return [deny('database-halted', forbidden('spec.databaseRef', `Singlestore ${dbRef} is halted (${why}); resume it before reconfiguring TLS`))];
  }
  return [];
}

/** A pause no other in-flight request of the database explains (SPEC 3b `database-paused`). */
export function databasePaused(db: Singlestore, dbRef: string, input: ClusterInput, others: readonly SinglestoreOpsRequest[]): Finding[] {
  const c = condition(db.status?.conditions, 'Paused');
  if (!c || (c.status !== 'True' && c.status !== 'Unknown')) return [];
  if (pauseExplained(c, input, others)) return [];
  const who: string[] = [];
  if (c.reason) who.push(`reason: ${c.reason}`);
  if (c.message) who.push(`message: ${c.message}`);
  const by = who.length ? `; ${who.join(', ')}` : '';
  return [
    deny('database-paused', forbidden('spec.databaseRef', `Singlestore ${dbRef} is paused (condition Paused is ${c.status}${by}); wait until it is resumed`)),
  ];
}

/**
 * Whether another non-terminal request of the database explains the pause, so this one
 * queues behind it as KubeDB queues it:
 * - the reason names an ops request (`SinglestoreOpsRequest <ns>/<name>`, how this
 *   project pauses): explained while that request is in flight (or is this one);
 * - the reason names nobody (KubeDB's ops-manager writes `reason: Paused`, the type, or
 *   leaves it empty): explained while any other request of the database is in flight;
 * - any other reason says someone else paused it (`kubectl dba pause`, an operator):
 *   never explained.
 */
export function pauseExplained(c: Condition, input: ClusterInput, others: readonly SinglestoreOpsRequest[]): boolean {
  const holder = pauseHolder(c.reason);
  if (holder) {
    if (holder.namespace !== input.namespace) return false;
    return holder.name === nameOf(input.object) || others.some((r) => nameOf(r) === holder.name);
  }
  if (c.reason === undefined || c.reason === '' || c.reason === 'Paused') return others.length > 0;
  return false;
}

/** Other requests for the same database that are still in flight, sorted by name. */
export function inFlight(input: ClusterInput, dbName: string): SinglestoreOpsRequest[] {
  const self = nameOf(input.object);
  const out: SinglestoreOpsRequest[] = [];
  for (const r of input.view.listOpsRequests(input.namespace, dbName)) {
    const name = nameOf(r);
    if (name === undefined || name === self) continue;
    if (r.spec?.databaseRef?.name !== dbName) continue;
    const phase = r.status?.phase ?? '';
    if (!NON_TERMINAL_PHASES.has(phase)) continue;
    out.push(r);
  }
  out.sort((a, b) => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x === undefined || y === undefined ? 0 : x < y ? -1 : x > y ? 1 : 0;
  });
  return out;
}

const isTLSRequest = (r: SinglestoreOpsRequest): boolean => r.spec?.type === 'ReconfigureTLS';
/** Phases in which a ReconfigureTLS request is not yet running and will be Skipped for a newer one. */
const SUPERSEDABLE: ReadonlySet<string> = new Set(['', 'Pending']);
const supersedable = (r: SinglestoreOpsRequest): boolean => SUPERSEDABLE.has(r.status?.phase ?? '');

/** tls-op-in-flight: another ReconfigureTLS request is Progressing, WaitingForApproval or Approved. */
export function tlsOpInFlight(namespace: string, dbRef: string, others: readonly SinglestoreOpsRequest[]): Finding[] {
  return others
    .filter((r) => isTLSRequest(r) && !supersedable(r))
    .map((r) =>
      deny(
        'tls-op-in-flight',
        forbidden('spec.databaseRef', `SinglestoreOpsRequest ${namespace}/${String(nameOf(r))} (ReconfigureTLS) for Singlestore ${dbRef} is ${phaseText(r.status?.phase)}; wait until it finishes`),
      ),
    );
}

/** tls-op-superseded: another ReconfigureTLS request is "" or Pending; it will be Skipped in favour of this newer one. */
export function tlsOpSuperseded(namespace: string, others: readonly SinglestoreOpsRequest[]): Warning[] {
  return others
    .filter((r) => isTLSRequest(r) && supersedable(r))
    .map((r) =>
      warn('tls-op-superseded', 'spec.databaseRef', `ReconfigureTLS request ${namespace}/${String(nameOf(r))} is ${phaseText(r.status?.phase)}; it will be Skipped in favour of this newer one`),
    );
}

/** op-in-flight: another request of another type is not finished; this one waits. */
export function opInFlight(namespace: string, others: readonly SinglestoreOpsRequest[]): Warning[] {
  return others
    .filter((r) => !isTLSRequest(r))
    .map((r) => warn('op-in-flight', 'spec.databaseRef', `${r.spec?.type ?? 'ops'} request ${namespace}/${String(nameOf(r))} is ${phaseText(r.status?.phase)}; this one will wait`));
}

export function tlsNotEnabled(object: SinglestoreOpsRequest, db: Singlestore, dbRef: string): Finding[] {
  if (db.spec?.tls) return [];
  const tls = object.spec?.tls;
  if (!tls) return [];
  const msg = `TLS is not enabled on Singlestore ${dbRef}`;
  if (tls.remove === true) return [deny('tls-not-enabled', forbidden('spec.tls.remove', msg))];
  if (tls.rotateCertificates === true) return [deny('tls-not-enabled', forbidden('spec.tls.rotateCertificates', msg))];
  const certs = tls.certificates ?? [];
  if (!tls.issuerRef && certs.some((c) => !c.issuerRef)) {
    return [deny('tls-not-enabled', required('spec.tls.issuerRef', `${msg}: an issuerRef is needed to issue its certificates`))];
  }
  return [];
}

function lookupIssuer(view: ClusterView, namespace: string, kind: string, name: string): Issuer | undefined {
  return kind === 'ClusterIssuer' ? view.getClusterIssuer(name) : view.getIssuer(namespace, name);
}

export function issuers(input: ClusterInput): ReviewResult {
  const out: ReviewResult = { errors: [], warnings: [], notEvaluated: [] };
  const tls = input.object.spec?.tls;
  if (!tls) return out;
  for (const { ref, path } of issuerRefsOf(tls)) {
    const kind = ref.kind;
    const name = ref.name;
    if (kind === undefined || name === undefined || !(ISSUER_KINDS as readonly string[]).includes(kind)) continue;
    if (ref.apiGroup !== undefined && ref.apiGroup !== CERT_MANAGER_GROUP) continue;
    const shown = kind === 'ClusterIssuer' ? `ClusterIssuer ${name}` : `Issuer ${input.namespace}/${name}`;
    const issuer = lookupIssuer(input.view, input.namespace, kind, name);
    if (!issuer) {
      out.errors.push(deny('issuer-exists', notFound(`${path}.name`, name, `${shown} does not exist`)));
      continue;
    }
    const ready = condition(issuer.status?.conditions, 'Ready');
    if (ready?.status !== 'True') {
      const why = ready ? `Ready=${ready.status}${ready.reason ? ` ${ready.reason}` : ''}` : 'no Ready condition';
      out.warnings.push(warn('issuer-not-ready', `${path}.name`, `${shown} is not ready (${why}); certificates wait`));
    }
  }
  return out;
}

export function databaseNotReady(object: SinglestoreOpsRequest, db: Singlestore, dbRef: string): Warning[] {
  const apply = object.spec?.apply ?? 'IfReady';
  if (apply !== 'IfReady') return [];
  const phase = db.status?.phase;
  if (phase === 'Ready') return [];
  const shown = phase ? `is ${phase}` : 'has no phase yet';
  return [warn('database-not-ready', 'spec.apply', `Singlestore ${dbRef} ${shown}; with apply IfReady the request waits until it is Ready`)];
}

export function noOp(object: SinglestoreOpsRequest, db: Singlestore, dbRef: string): Warning[] {
  const tls = object.spec?.tls;
  const want = tls?.issuerRef;
  const have = db.spec?.tls?.issuerRef;
  if (!want || !have || (tls.certificates?.length ?? 0) > 0) return [];
  const group = (g: string | undefined): string => (g === undefined || g === '' ? CERT_MANAGER_GROUP : g);
  if (want.kind !== have.kind || want.name !== have.name || group(want.apiGroup) !== group(have.apiGroup)) return [];
  return [warn('no-op', 'spec.tls.issuerRef', `Singlestore ${dbRef} already uses ${String(want.kind)} ${String(want.name)}; this request changes nothing`)];
}

/** Run every cluster rule against the view. */
export function clusterRules(input: ClusterInput): ReviewResult {
  const out: ReviewResult = { errors: [], warnings: [], notEvaluated: [] };
  const object = input.object;
  const dbName = object.spec?.databaseRef?.name ?? '';
  const dbRef = `${input.namespace}/${dbName}`;
  const db = input.view.getSinglestore(input.namespace, dbName);

  const others = inFlight(input, dbName);
  if (!db) {
    out.errors.push(deny('database-exists', notFound('spec.databaseRef.name', dbName, `Singlestore ${dbRef} does not exist`)));
  } else {
    out.errors.push(...databaseHalted(db, dbRef), ...databasePaused(db, dbRef, input, others));
  }
  out.errors.push(...tlsOpInFlight(input.namespace, dbRef, others));
  out.warnings.push(...tlsOpSuperseded(input.namespace, others), ...opInFlight(input.namespace, others));
  if (db) out.errors.push(...tlsNotEnabled(object, db, dbRef));
  const iss = issuers(input);
  out.errors.push(...iss.errors);
  out.warnings.push(...iss.warnings);
  if (db) {
    out.warnings.push(...databaseNotReady(object, db, dbRef), ...noOp(object, db, dbRef));
  } else {
    for (const rule of NEEDS_DATABASE) out.notEvaluated.push({ rule, reason: `Singlestore ${dbRef} does not exist` });
  }
  return out;
}
