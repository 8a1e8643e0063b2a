// The reconciler's pure planner (SPEC 5): from what was observed of one ReconfigureTLS
// ops request and the objects it touches, and the current time, decide the single next
// step. Every bit of progress is a condition on the request's status, so the plan is a
// function of the cluster alone: a fresh process on any replica picks up where the last
// one stopped. PURE: no I/O, no clock (now is passed in).
import type {
  Certificate,
  Condition,
  OpsRequestPhase,
  PetSet,
  Pod,
  Singlestore,
  SinglestoreOpsRequest,
  TLSConfig,
} from '../../api/types.js';
import type { Finding } from '../findings.js';
import { formatAggregate } from '../field/errors.js';
import { boundText, CONDITION_MESSAGE_MAX, EVENT_MESSAGE_MAX, quote } from '../field/quote.js';
import { getCondition, hasCondition, isPodReady, latestTransition, type NewCondition } from './conditions.js';
import { durationMs } from './duration.js';
import {
  checkPodReadyCondition,
  Cond,
  evictPodCondition,
  getPodCondition,
  PAUSED,
  pauseReason,
  petSetNames,
  podName as podNameOf,
  requestKey,
  skippedMessage,
} from './names.js';
import {
  certificatePatch,
  deepEqual,
  desiredCertificates,
  newTLS,
  petSetPatch,
  tlsOperation,
  type TLSOperation,
} from './tls.js';
import { namespaceOf } from '../meta.js';

export interface Observed {
  request: SinglestoreOpsRequest;
  /** Every other ops request (any type) for the same database; not the request itself. */
  siblings: SinglestoreOpsRequest[];
  database?: Singlestore;
  /** Certificates of this database that exist (names `<db>-<alias>-cert`). */
  certificates: Certificate[];
  /** Names of this database's TLS Secrets (derived from the aliases, not read: they
   *  may already be gone; deleting a missing Secret is not an error). */
  secrets: string[];
  petSets: PetSet[];
  pods: Pod[];
}

export interface PreflightInput {
  request: SinglestoreOpsRequest;
  database: Singlestore | undefined;
  /** Siblings as they will be once older Pending ReconfigureTLS requests are Skipped. */
  siblings: SinglestoreOpsRequest[];
}

/** Runs the engine's review; returns the deny findings (empty: go ahead). */
export type Preflight = (input: PreflightInput) => Finding[];

export interface PlanOptions {
  preflight?: Preflight;
  /** Per-step timeout when spec.timeout is absent or unparsable (default 10m). */
  defaultTimeoutMs?: number;
  /** Requeue delay while apply: IfReady waits for the database (default 10s). */
  notReadyRequeueMs?: number;
  /** Requeue delay while waiting on cert-manager, PetSets or pods (default 2s). */
  pollMs?: number;
}

export type Action =
  | { kind: 'pauseDatabase'; reason: string; message: string }
  | { kind: 'resumeDatabase'; reason: string }
  | { kind: 'createCertificate'; certificate: Certificate }
  | { kind: 'patchCertificate'; name: string; patch: Record<string, unknown> }
  | { kind: 'markIssuing'; name: string; message: string }
  | { kind: 'deleteCertificate'; name: string }
  | { kind: 'deleteSecret'; name: string }
  | { kind: 'patchPetSet'; name: string; patch: Record<string, unknown> }
  | { kind: 'evictPod'; name: string; uid: string }
  | { kind: 'patchDatabase'; patch: Record<string, unknown> };

export interface StatusChange {
  phase?: OpsRequestPhase;
  condition?: NewCondition;
}

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type Plan =
  | { type: 'done'; reason: string }
  | { type: 'wait'; step: string; message: string; requeueAfterMs: number }
  | { type: 'act'; step: string; actions: Action[]; status?: StatusChange; event: PlanEvent; failedStep?: string };

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function creationKey(r: SinglestoreOpsRequest): [number, string] {
  const t = r.metadata?.creationTimestamp ? Date.parse(r.metadata.creationTimestamp) : 0;
  return [Number.isNaN(t) ? 0 : t, r.metadata?.name ?? ''];
}

/** Is a newer than b (creationTimestamp, then name)? */
export function isNewer(a: SinglestoreOpsRequest, b: SinglestoreOpsRequest): boolean {
  const [ta, na] = creationKey(a);
  const [tb, nb] = creationKey(b);
  return ta !== tb ? ta > tb : na > nb;
}

const isTLS = (r: SinglestoreOpsRequest): boolean => r.spec?.type === 'ReconfigureTLS';
const isPendingPhase = (r: SinglestoreOpsRequest): boolean => !r.status?.phase || r.status.phase === 'Pending';

export function timeoutMs(req: SinglestoreOpsRequest, opts: PlanOptions = {}): number {
  const t = req.spec?.timeout ? durationMs(req.spec.timeout) : undefined;
  return t !== undefined && t > 0 ? t : (opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/** The Paused condition on the database, if this request put it there. */
export function pausedByRequest(db: Singlestore | undefined, req: SinglestoreOpsRequest): Condition | undefined {
  const c = getCondition(db?.status?.conditions, PAUSED);
  return c && c.reason === pauseReason(req) ? c : undefined;
}

/**
 * Replicas KubeDB's Singlestore webhook defaults a topology node to when
 * `spec.topology.<role>.replicas` is absent (kubedb/apimachinery
 * apis/kubedb/v1alpha2/singlestore_helpers.go, SetDefaults: aggregator 3, leaf 2). A
 * standalone Singlestore runs one pod.
 */
export const KUBEDB_DEFAULT_REPLICAS = { aggregator: 3, leaf: 2, standalone: 1 } as const;

/** Pods a PetSet of the database runs: the PetSet's own replicas, else the database's, else KubeDB's default. */
export function replicasOf(db: Singlestore, role: 'aggregator' | 'leaf' | 'standalone', ps?: PetSet): number {
  if (ps?.spec?.replicas !== undefined) return ps.spec.replicas;
  const given = role === 'standalone' ? db.spec?.replicas : db.spec?.topology?.[role]?.replicas;
  return given ?? KUBEDB_DEFAULT_REPLICAS[role];
}

/** Pod names to restart, aggregators first, each PetSet by ordinal. */
export function restartOrder(db: Singlestore, petSets: readonly PetSet[]): string[] {
  const out: string[] = [];
  for (const { name, role } of petSetNames(db)) {
    const ps = petSets.find((p) => p.metadata?.name === name);
    const n = replicasOf(db, role, ps);
    for (let i = 0; i < n; i++) out.push(podNameOf(name, i));
  }
  return out;
}

/** The desired TLS the request leads to (null for remove). */
export function targetTLS(obs: Observed): TLSConfig | null {
  return newTLS(obs.database?.spec?.tls, obs.request.spec?.tls, obs.database?.metadata?.name ?? obs.request.spec?.databaseRef?.name);
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

// Condition and Event messages are bounded (docs/security.md): they name objects and
// repeat findings and error texts. Cut at the end only (no run is cut in place), so a
// message of real Kubernetes names is never touched.
const conditionText = (m: string): string => boundText(m, CONDITION_MESSAGE_MAX, CONDITION_MESSAGE_MAX);
const eventText = (m: string): string => boundText(m, EVENT_MESSAGE_MAX, EVENT_MESSAGE_MAX);

function withBoundedCondition(status: StatusChange | undefined): StatusChange | undefined {
  if (!status?.condition?.message) return status;
  return { ...status, condition: { ...status.condition, message: conditionText(status.condition.message) } };
}

function act(step: string, actions: Action[], message: string, status?: StatusChange): Plan {
  const st = withBoundedCondition(status);
  return {
    type: 'act',
    step,
    actions,
    ...(st ? { status: st } : {}),
    event: { type: 'Normal', reason: step, message: eventText(message) },
  };
}

function record(step: string, message: string, actions: Action[] = []): Plan {
  return act(step, actions, message, { condition: { type: step, status: 'True', reason: step, message } });
}

/** A per-pod condition (GetPod--, EvictPod--, CheckPodReady--): no reason, as KubeDB's. */
function recordPod(step: string, message: string, actions: Action[] = []): Plan {
  return act(step, actions, message, { condition: { type: step, status: 'True', reason: '', message } });
}

function wait(step: string, message: string, ms: number): Plan {
  return { type: 'wait', step, message: conditionText(message), requeueAfterMs: ms };
}

/** Fail the request; resume the database first if this request paused it. `failedStep`
 *  (data for the metrics, never parsed from the message): the step that did not finish,
 *  or `Preflight` when the pre-flight review refused the request. */
export function failPlan(obs: Observed, message: string, failedStep = 'Preflight'): Plan {
  const actions: Action[] = [];
  if (pausedByRequest(obs.database, obs.request)) actions.push({ kind: 'resumeDatabase', reason: pauseReason(obs.request) });
  return {
    type: 'act',
    step: Cond.Failed,
    actions,
    status: { phase: 'Failed', condition: { type: Cond.Failed, status: 'True', reason: Cond.Failed, message: conditionText(message) } },
    event: { type: 'Warning', reason: Cond.Failed, message: eventText(message) },
    failedStep,
  };
}

/** The one next step for the request. */
export function plan(obs: Observed, now: number, opts: PlanOptions = {}): Plan {
  const req = obs.request;
  if (!isTLS(req)) return { type: 'done', reason: 'not a ReconfigureTLS request' };
  const phase = req.status?.phase ?? '';
  switch (phase) {
    case '':
      return act('Pending', [], `SinglestoreOpsRequest ${requestKey(req)} is pending`, { phase: 'Pending' });
    case 'Pending':
      return planPending(obs, opts);
    case 'Progressing':
      return planProgressing(obs, now, opts);
    default: {
      // Terminal (or a phase another controller owns). Safety net: never leave the
      // database paused by this request.
      if (pausedByRequest(obs.database, req)) {
        return act(Cond.DatabaseResumeSucceeded, [{ kind: 'resumeDatabase', reason: pauseReason(req) }], `Resumed database paused by ${requestKey(req)}`);
      }
      return { type: 'done', reason: `phase ${phase}` };
    }
  }
}

function planPending(obs: Observed, opts: PlanOptions): Plan {
  const req = obs.request;
  const ns = namespaceOf(req);
  const pendingTLS = [req, ...obs.siblings].filter((r) => isTLS(r) && isPendingPhase(r));
  let newest = req;
  for (const r of pendingTLS) if (isNewer(r, newest)) newest = r;
  if (newest !== req) {
    const message = skippedMessage(`${ns}/${newest.metadata?.name ?? ''}`);
    return act(Cond.Skipped, [], message, {
      phase: 'Skipped',
      condition: { type: Cond.Skipped, status: 'True', reason: Cond.Skipped, message },
    });
  }
  const running = obs.siblings.find((r) => r.status?.phase === 'Progressing');
  if (running) {
    return wait(
      'Pending',
      `waiting for SinglestoreOpsRequest ${ns}/${running.metadata?.name ?? ''} (${running.spec?.type ?? 'unknown type'}) to finish`,
      opts.notReadyRequeueMs ?? 10_000,
    );
  }
  // Older Pending ReconfigureTLS requests will be Skipped; review against that future.
  const overlay = obs.siblings.map((r) =>
    isTLS(r) && isPendingPhase(r) ? { ...r, status: { ...(r.status ?? {}), phase: 'Skipped' as const } } : r,
  );
  if (opts.preflight) {
    const denied = opts.preflight({ request: req, database: obs.database, siblings: overlay });
    if (denied.length) return failPlan(obs, formatAggregate(denied));
  } else if (!obs.database) {
    return failPlan(obs, `spec.databaseRef.name: Not found: ${quote(req.spec?.databaseRef?.name ?? '')}`);
  }
  const apply = req.spec?.apply ?? 'IfReady';
  if (apply === 'IfReady' && obs.database?.status?.phase !== 'Ready') {
    return wait(
      'Pending',
      `waiting for Singlestore ${ns}/${obs.database?.metadata?.name ?? ''} to be Ready (phase ${obs.database?.status?.phase ?? 'unknown'}; apply: IfReady)`,
      opts.notReadyRequeueMs ?? 10_000,
    );
  }
  const message = 'Singlestore ops-request has started to reconfigure TLS for the Singlestore nodes';
  return act(Cond.ReconfigureTLS, [], message, {
    phase: 'Progressing',
    condition: { type: Cond.ReconfigureTLS, status: 'True', reason: Cond.ReconfigureTLS, message },
  });
}

function planProgressing(obs: Observed, now: number, opts: PlanOptions): Plan {
  const req = obs.request;
  const next = nextProgressingStep(obs, opts);
  const limit = timeoutMs(req, opts);
  const started = latestTransition(req.status?.conditions);
  if (started !== undefined && now - started > limit) {
    const what = next.type === 'wait' ? `: ${next.message}` : '';
    const step = next.type === 'done' ? 'Successful' : next.step;
    return failPlan(obs, `step ${step} did not finish within spec.timeout ${formatMs(limit)}${what}`, step);
  }
  return next;
}

function nextProgressingStep(obs: Observed, opts: PlanOptions): Plan {
  const req = obs.request;
  const conds = req.status?.conditions;
  const done = (t: string): boolean => hasCondition(conds, t, 'True');
  const poll = opts.pollMs ?? 2000;
  const db = obs.database;
  const ns = namespaceOf(req);
  const dbName = req.spec?.databaseRef?.name ?? '';

  if (!db) return wait(Cond.DatabasePauseSucceeded, `Singlestore ${ns}/${dbName} not found`, poll);

  // 3. pause
  if (!done(Cond.DatabasePauseSucceeded)) {
    const paused = getCondition(db.status?.conditions, PAUSED);
    const reason = pauseReason(req);
    if (paused && paused.reason !== reason && paused.status !== 'False') {
      return wait(Cond.DatabasePauseSucceeded, `Singlestore ${ns}/${dbName} is paused by ${paused.reason ?? 'someone else'}`, poll);
    }
    return record(Cond.DatabasePauseSucceeded, `Successfully paused Singlestore ${ns}/${dbName}`, [
      { kind: 'pauseDatabase', reason, message: `Paused by sdb-tls-guard while it carries out SinglestoreOpsRequest ${requestKey(req)}` },
    ]);
  }

  const op = tlsOperation(req.spec?.tls);
  const tls = targetTLS(obs);

  // 4. certificates
  if (!done(Cond.CertificateSynced)) {
    const p = planCertificates(obs, op, tls, done, poll);
    if (p) return p;
  }

  // 5. PetSets
  if (!done(Cond.UpdatePetSets)) {
    const patches: { name: string; patch: Record<string, unknown> }[] = [];
    const lagging: string[] = [];
    for (const { name } of petSetNames(db)) {
      const ps = obs.petSets.find((x) => x.metadata?.name === name);
      if (!ps) return wait(Cond.UpdatePetSets, `PetSet ${ns}/${name} not found`, poll);
      const patch = petSetPatch(ps, dbName, tls);
      if (patch) patches.push({ name, patch });
      else if ((ps.status?.observedGeneration ?? 0) < (ps.metadata?.generation ?? 0)) lagging.push(name);
    }
    if (patches.length) {
      const verb = tls ? 'add' : 'remove';
      return act(
        Cond.UpdatePetSets,
        patches.map((p) => ({ kind: 'patchPetSet', name: p.name, patch: p.patch })),
        `Updating PetSets ${patches.map((p) => p.name).join(', ')} to ${verb} the tls-volume`,
      );
    }
    if (lagging.length) return wait(Cond.UpdatePetSets, `waiting for the PetSet controller to observe ${lagging.join(', ')}`, poll);
    return record(Cond.UpdatePetSets, 'Successfully updated PetSets');
  }

  // 6. restart, one pod at a time
  if (!done(Cond.RestartNodes)) {
    for (const podName of restartOrder(db, obs.petSets)) {
      const pod = obs.pods.find((p) => p.metadata?.name === podName);
      const evictType = evictPodCondition(podName);
      const evicted = getCondition(conds, evictType);
      if (!evicted || evicted.status !== 'True') {
        const getType = getPodCondition(podName);
        if (!done(getType)) {
          if (!pod) return recordPod(getType, `Pod ${ns}/${podName} not found; its PetSet recreates it`);
          return recordPod(getType, `Successfully got pod ${ns}/${podName} (uid ${pod.metadata?.uid ?? ''})`);
        }
        if (!pod) return recordPod(evictType, `Pod ${ns}/${podName} was not running (uid none); its PetSet recreates it`);
        const uid = pod.metadata?.uid ?? '';
        if (pod.metadata?.deletionTimestamp) return recordPod(evictType, `Pod ${ns}/${podName} was already terminating (uid ${uid})`);
        return recordPod(evictType, `Successfully evicted pod ${ns}/${podName} (uid ${uid})`, [{ kind: 'evictPod', name: podName, uid }]);
      }
      const readyType = checkPodReadyCondition(podName);
      if (!done(readyType)) {
        const oldUid = /\(uid ([^)]*)\)/.exec(evicted.message ?? '')?.[1] ?? '';
        const replaced = pod && pod.metadata?.uid !== oldUid && !pod.metadata?.deletionTimestamp;
        // A replacement counts only when it was created after the certificates it mounts
        // were issued and after its PetSet's template changed (SPEC 5, step 6).
        const since = restartBaseline(conds);
        const created = Date.parse(pod?.metadata?.creationTimestamp ?? '');
        const fresh = since === undefined || (!Number.isNaN(created) && created >= since);
        if (replaced && fresh && isPodReady(pod.status?.conditions)) {
          return recordPod(readyType, `Pod ${ns}/${podName} is Ready (uid ${pod.metadata?.uid ?? ''}, created ${pod.metadata?.creationTimestamp ?? ''})`);
        }
        if (replaced && !fresh) {
          return wait(readyType, `pod ${ns}/${podName} (uid ${pod.metadata?.uid ?? ''}) was created at ${pod.metadata?.creationTimestamp ?? 'an unknown time'}, before the certificates and PetSet it must run were in place; waiting for a newer pod`, poll);
        }
        return wait(readyType, `waiting for pod ${ns}/${podName} to be recreated and Ready`, poll);
      }
    }
    return record(Cond.RestartNodes, 'Successfully restarted all nodes');
  }

  // 7. database spec, resume, done
  if (!done(Cond.UpdateDatabase)) {
    const current = db.spec?.tls ?? null;
    const actions: Action[] = deepEqual(current, tls) ? [] : [{ kind: 'patchDatabase', patch: { spec: { tls } } }];
    return record(Cond.UpdateDatabase, tls ? 'Successfully updated the TLS spec of the database' : 'Successfully removed TLS from the database', actions);
  }
  if (!done(Cond.DatabaseResumeSucceeded)) {
    return record(Cond.DatabaseResumeSucceeded, `Successfully resumed Singlestore ${ns}/${dbName}`, [
      { kind: 'resumeDatabase', reason: pauseReason(req) },
    ]);
  }
  const message = 'Successfully completed reconfigureTLS for Singlestore';
  return act(Cond.Successful, [], message, {
    phase: 'Successful',
    condition: { type: Cond.Successful, status: 'True', reason: Cond.Successful, message },
  });
}

/**
 * The earliest creation time (ms, whole seconds as creationTimestamp has them) a restarted
 * pod may have: when the certificates were synced (every Certificate Ready with its new
 * revision) and the PetSets updated — both recorded as the lastTransitionTime of their
 * conditions on the request.
 */
export function restartBaseline(conds: readonly Condition[] | undefined): number | undefined {
  let best: number | undefined;
  for (const type of [Cond.CertificateSynced, Cond.UpdatePetSets]) {
    const t = Date.parse(getCondition(conds, type)?.lastTransitionTime ?? '');
    if (!Number.isNaN(t) && (best === undefined || t > best)) best = t;
  }
  return best === undefined ? undefined : Math.floor(best / 1000) * 1000;
}

/** "<name>: Ready=False (DoesNotExist: …), Issuing=True (…)" — what cert-manager says of it. */
export function certificateState(c: Certificate): string {
  const parts = ['Ready', 'Issuing'].map((type) => {
    const x = getCondition(c.status?.conditions, type);
    if (!x) return `${type} unset`;
    const why = [x.reason, x.message].filter((v) => v).join(': ');
    return `${type}=${x.status}${why ? ` (${why})` : ''}`;
  });
  return `${c.metadata?.name ?? ''} revision ${c.status?.revision ?? 0}: ${parts.join(', ')}`;
}

/** Ready for its current generation and not (being) re-issued. */
export function certificateReady(c: Certificate): boolean {
  const ready = getCondition(c.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  const gen = c.metadata?.generation;
  if (gen !== undefined && ready.observedGeneration !== undefined && ready.observedGeneration < gen) return false;
  return !hasCondition(c.status?.conditions, 'Issuing', 'True');
}

const REVISION_RE = /([a-z0-9.-]+) \(revision (\d+)\)/g;

/** Baseline revisions recorded in the IssueCertificatesSucceeded message. */
export function recordedRevisions(message: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of (message ?? '').matchAll(REVISION_RE)) out.set(m[1]!, Number(m[2]));
  return out;
}

function planCertificates(
  obs: Observed,
  op: TLSOperation,
  tls: TLSConfig | null,
  done: (t: string) => boolean,
  poll: number,
): Plan | undefined {
  const db = obs.database!;
  const req = obs.request;
  if (op === 'remove' || tls === null) {
    // Certificates first (so cert-manager cannot issue a Secret again), then the
    // Secrets, deleted without reading them, together with the condition: a crash
    // before the status write repeats the deletes, which are idempotent.
    if (obs.certificates.length) {
      const actions = obs.certificates.map((c): Action => ({ kind: 'deleteCertificate', name: c.metadata?.name ?? '' }));
      return act(Cond.CertificateSynced, actions, `Deleting Certificates ${obs.certificates.map((c) => c.metadata?.name ?? '').join(', ')}`);
    }
    return record(Cond.CertificateSynced, 'Successfully removed all certificates', obs.secrets.map((s): Action => ({ kind: 'deleteSecret', name: s })));
  }
  if (op === 'rotate' && !db.spec?.tls) {
    return wait(Cond.IssueCertificatesSucceeded, `TLS is not enabled on Singlestore ${db.metadata?.namespace}/${db.metadata?.name}`, poll);
  }
  const desired = desiredCertificates(db, tls);
  const byName = new Map(obs.certificates.map((c) => [c.metadata?.name ?? '', c]));
  const actions: Action[] = [];
  for (const d of desired) {
    const name = d.metadata?.name ?? '';
    const have = byName.get(name);
    if (!have) actions.push({ kind: 'createCertificate', certificate: d });
    else {
      const patch = certificatePatch(have, d);
      if (patch) actions.push({ kind: 'patchCertificate', name, patch });
    }
  }
  if (actions.length) {
    const names = actions.map((a) => (a.kind === 'createCertificate' ? a.certificate.metadata?.name : 'name' in a ? a.name : ''));
    return act(Cond.CertificateSynced, actions, `Creating or updating Certificates ${names.join(', ')}`);
  }
  const current = desired.map((d) => byName.get(d.metadata?.name ?? '')!);
  if (op === 'rotate') {
    if (!done(Cond.IssueCertificatesSucceeded)) {
      const list = current.map((c) => `${c.metadata?.name ?? ''} (revision ${c.status?.revision ?? 0})`).join(', ');
      return record(
        Cond.IssueCertificatesSucceeded,
        `Successfully requested re-issue of Certificates ${list}`,
        current.map((c) => ({ kind: 'markIssuing', name: c.metadata?.name ?? '', message: `Re-issue requested by SinglestoreOpsRequest ${requestKey(req)}` })),
      );
    }
    const base = recordedRevisions(getCondition(req.status?.conditions, Cond.IssueCertificatesSucceeded)?.message);
    const waiting = current.filter((c) => (c.status?.revision ?? 0) <= (base.get(c.metadata?.name ?? '') ?? -1) || !certificateReady(c));
    if (waiting.length) {
      return wait(Cond.CertificateSynced, `waiting for Certificates to be re-issued and Ready: ${waiting.map(certificateState).join('; ')}`, poll);
    }
    return record(Cond.CertificateSynced, 'Successfully synced all certificates');
  }
  const notReady = current.filter((c) => !certificateReady(c));
  if (notReady.length) {
    return wait(Cond.CertificateSynced, `waiting for Certificates to be Ready: ${notReady.map(certificateState).join('; ')}`, poll);
  }
  return record(Cond.CertificateSynced, 'Successfully synced all certificates');
}
