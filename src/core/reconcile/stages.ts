// The reconciler as ONE ordered chain of named stages (SPEC 5; cert-manager's
// policies.Chain is the model). Each stage declares
//   - done:  the condition(s) (or phase) on the request that mark it finished;
//   - reads: which objects it needs — a pure function of the request and the database
//            (and of what it has read so far: pods come from the PetSets' replicas);
//   - plan:  pure, from those objects to one Plan: act, wait, or pass (nothing to do here).
// The same list drives what the reconciler reads (the refs of the current stage), what it
// decides (the first stage not done), and what wakes it (the refs of a waiting stage are
// watched; src/controller). PURE: no I/O, no clock (now is passed in).
import type { Singlestore, SinglestoreOpsRequest, TLSConfig } from '../../api/types.js';
import { formatAggregate } from '../field/errors.js';
import { quote } from '../field/quote.js';
import { jsonEqual } from '../json-equal.js';
import { namespaceOf } from '../meta.js';
import { getCondition, hasCondition, isPodReady, latestTransition } from './conditions.js';
import { checkPodReadyCondition, Cond, evictPodCondition, getPodCondition, PAUSED, requestKey } from './names.js';
import { certificateName, pauseReason, petSetNames, skippedMessage } from '../names.js';
import {
  act,
  certificateReady,
  certificateState,
  failPlan,
  formatMs,
  isNewer,
  isPendingPhase,
  isTLS,
  pausedByRequest,
  record,
  recordPod,
  restartBaseline,
  restartOrder,
  targetTLS,
  timeoutMs,
  wait,
  type Action,
  type Observed,
  type Plan,
  type PlanOptions,
} from './planner.js';
import { readState, type ReconcileState } from './state.js';
import { certificatePatch, desiredCertificates, petSetPatch, secretNameOf, tlsOperation } from './tls.js';

/** The kinds a stage reads, named as the reconciler's cache names them. */
export type RefKind = 'singlestores' | 'certificates' | 'petsets' | 'pods';

export interface ObjectRef {
  kind: RefKind;
  namespace: string;
  name: string;
}

export const refKey = (r: ObjectRef): string => `${r.kind}/${r.namespace}/${r.name}`;

export type StagePlan = Plan | { type: 'pass' };

export interface StageInput {
  obs: Observed;
  /** What earlier steps recorded (./state.ts). */
  state: ReconcileState;
  opts: PlanOptions;
}

export interface Stage {
  name: string;
  /** Condition types (True) that mark the stage done; documentation and the default `done`. */
  marks: readonly string[];
  done(req: SinglestoreOpsRequest): boolean;
  /** The objects the stage needs; `seen` holds what was read for it so far (the reader
   *  calls again until no new ref appears). */
  reads(req: SinglestoreOpsRequest, db: Singlestore | undefined, seen: Observed): ObjectRef[];
  plan(input: StageInput): StagePlan;
}

const ALIASES = ['server', 'client', 'metrics-exporter'];
const PENDING_REQUEUE_MS = 10_000;

const isDone = (req: SinglestoreOpsRequest, type: string): boolean => hasCondition(req.status?.conditions, type, 'True');
const dbName = (req: SinglestoreOpsRequest): string => req.spec?.databaseRef?.name ?? '';
const dbRef = (req: SinglestoreOpsRequest): ObjectRef => ({ kind: 'singlestores', namespace: namespaceOf(req), name: dbName(req) });

/** Aliases whose Certificates may exist: the three KubeDB knows, and any the database or request names. */
export function certificateAliases(req: SinglestoreOpsRequest, db: Singlestore | undefined): string[] {
  const aliases = new Set(ALIASES);
  for (const c of db?.spec?.tls?.certificates ?? []) if (c.alias) aliases.add(c.alias);
  for (const c of req.spec?.tls?.certificates ?? []) if (c.alias) aliases.add(c.alias);
  return [...aliases];
}

/** Names of the database's TLS Secrets (derived, never read: deleting a missing one is fine). */
export function secretNames(req: SinglestoreOpsRequest, db: Singlestore | undefined): string[] {
  const names = new Set<string>();
  for (const a of certificateAliases(req, db)) names.add(secretNameOf(dbName(req), db?.spec?.tls?.certificates?.find((c) => c.alias === a), a));
  return [...names];
}

// ---- the stages, in order -------------------------------------------------------------

const pending: Stage = {
  name: 'Pending',
  marks: [],
  done: (req) => (req.status?.phase ?? '') !== '',
  reads: () => [],
  plan: ({ obs }) => act('Pending', [], `SinglestoreOpsRequest ${requestKey(obs.request)} is pending`, { phase: 'Pending' }),
};

const start: Stage = {
  name: Cond.ReconfigureTLS,
  marks: [Cond.ReconfigureTLS],
  done: (req) => !isPendingPhase(req),
  reads: (req) => [dbRef(req)],
  plan: ({ obs, opts }) => {
    const req = obs.request;
    const ns = namespaceOf(req);
    const pendingTLS = [req, ...obs.siblings].filter((r) => isTLS(r) && isPendingPhase(r));
    let newest = req;
    for (const r of pendingTLS) if (isNewer(r, newest)) newest = r;
    if (newest !== req) {
      const message = skippedMessage(`${ns}/${newest.metadata?.name ?? ''}`);
      return act(Cond.Skipped, [], message, { phase: 'Skipped', condition: { type: Cond.Skipped, status: 'True', reason: Cond.Skipped, message } });
    }
    const running = obs.siblings.find((r) => r.status?.phase === 'Progressing');
    if (running) {
      return wait(
        'Pending',
        `waiting for SinglestoreOpsRequest ${ns}/${running.metadata?.name ?? ''} (${running.spec?.type ?? 'unknown type'}) to finish`,
        opts.notReadyRequeueMs ?? PENDING_REQUEUE_MS,
      );
    }
    // Older Pending ReconfigureTLS requests will be Skipped; review against that future.
    const overlay = obs.siblings.map((r) => (isTLS(r) && isPendingPhase(r) ? { ...r, status: { ...(r.status ?? {}), phase: 'Skipped' as const } } : r));
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
        opts.notReadyRequeueMs ?? PENDING_REQUEUE_MS,
      );
    }
    const message = 'Singlestore ops-request has started to reconfigure TLS for the Singlestore nodes';
    return act(Cond.ReconfigureTLS, [], message, { phase: 'Progressing', condition: { type: Cond.ReconfigureTLS, status: 'True', reason: Cond.ReconfigureTLS, message } });
  },
};

const pause: Stage = {
  name: Cond.DatabasePauseSucceeded,
  marks: [Cond.DatabasePauseSucceeded],
  done: (req) => isDone(req, Cond.DatabasePauseSucceeded),
  reads: (req) => [dbRef(req)],
  plan: ({ obs }) => {
    const req = obs.request;
    const ns = namespaceOf(req);
    const paused = getCondition(obs.database?.status?.conditions, PAUSED);
    const reason = pauseReason(req);
    if (paused && paused.reason !== reason && paused.status !== 'False') {
      return wait(Cond.DatabasePauseSucceeded, `Singlestore ${ns}/${dbName(req)} is paused by ${paused.reason ?? 'someone else'}`, 0);
    }
    return record(Cond.DatabasePauseSucceeded, `Successfully paused Singlestore ${ns}/${dbName(req)}`, [
      { kind: 'pauseDatabase', reason, message: `Paused by sdb-tls-guard while it carries out SinglestoreOpsRequest ${requestKey(req)}` },
    ]);
  },
};

const certificates: Stage = {
  name: Cond.CertificateSynced,
  marks: [Cond.IssueCertificatesSucceeded, Cond.CertificateSynced],
  done: (req) => isDone(req, Cond.CertificateSynced),
  reads: (req, db) => [dbRef(req), ...certificateAliases(req, db).map((a): ObjectRef => ({ kind: 'certificates', namespace: namespaceOf(req), name: certificateName(dbName(req), a) }))],
  plan: ({ obs, state }) => planCertificates(obs, targetTLS(obs), state),
};

/** The database of a stage after the pre-flight one (which fails a request whose database is missing). */
function observedDatabase(obs: Observed): Singlestore {
  if (!obs.database) throw new Error('no Singlestore observed past the pre-flight stage');
  return obs.database;
}

function planCertificates(obs: Observed, tls: TLSConfig | null, state: ReconcileState): Plan {
  const db = observedDatabase(obs);
  const req = obs.request;
  const op = tlsOperation(req.spec?.tls);
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
    return wait(Cond.IssueCertificatesSucceeded, `TLS is not enabled on Singlestore ${String(db.metadata?.namespace)}/${String(db.metadata?.name)}`, 0);
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
  // No action left: every desired Certificate exists.
  const current = desired.map((d) => {
    const name = d.metadata?.name ?? '';
    const have = byName.get(name);
    if (!have) throw new Error(`Certificate ${name} is neither present nor created`);
    return have;
  });
  if (op === 'rotate') {
    if (!isDone(req, Cond.IssueCertificatesSucceeded)) {
      const list = current.map((c) => `${c.metadata?.name ?? ''} (revision ${c.status?.revision ?? 0})`).join(', ');
      const revisions = { ...state.revisions };
      for (const c of current) revisions[c.metadata?.name ?? ''] = c.status?.revision ?? 0;
      return record(
        Cond.IssueCertificatesSucceeded,
        `Successfully requested re-issue of Certificates ${list}`,
        current.map((c) => ({ kind: 'markIssuing', name: c.metadata?.name ?? '', message: `Re-issue requested by SinglestoreOpsRequest ${requestKey(req)}` })),
        { ...state, revisions },
      );
    }
    const waiting = current.filter((c) => (c.status?.revision ?? 0) <= (state.revisions[c.metadata?.name ?? ''] ?? -1) || !certificateReady(c));
    if (waiting.length) {
      return wait(Cond.CertificateSynced, `waiting for Certificates to be re-issued and Ready: ${waiting.map(certificateState).join('; ')}`, 0);
    }
    return record(Cond.CertificateSynced, 'Successfully synced all certificates');
  }
  const notReady = current.filter((c) => !certificateReady(c));
  if (notReady.length) {
    return wait(Cond.CertificateSynced, `waiting for Certificates to be Ready: ${notReady.map(certificateState).join('; ')}`, 0);
  }
  return record(Cond.CertificateSynced, 'Successfully synced all certificates');
}

const petSetRefs = (req: SinglestoreOpsRequest, db: Singlestore | undefined): ObjectRef[] =>
  db ? petSetNames(db).map(({ name }): ObjectRef => ({ kind: 'petsets', namespace: namespaceOf(req), name })) : [];

const petSets: Stage = {
  name: Cond.UpdatePetSets,
  marks: [Cond.UpdatePetSets],
  done: (req) => isDone(req, Cond.UpdatePetSets),
  reads: (req, db) => [dbRef(req), ...petSetRefs(req, db)],
  plan: ({ obs }) => {
    const db = observedDatabase(obs);
    const ns = namespaceOf(obs.request);
    const tls = targetTLS(obs);
    const patches: { name: string; patch: Record<string, unknown> }[] = [];
    const lagging: string[] = [];
    for (const { name } of petSetNames(db)) {
      const ps = obs.petSets.find((x) => x.metadata?.name === name);
      if (!ps) return wait(Cond.UpdatePetSets, `PetSet ${ns}/${name} not found`, 0);
      const patch = petSetPatch(ps, dbName(obs.request), tls);
      if (patch) patches.push({ name, patch });
      else if ((ps.status?.observedGeneration ?? 0) < (ps.metadata?.generation ?? 0)) lagging.push(name);
    }
    if (patches.length) {
      return act(
        Cond.UpdatePetSets,
        patches.map((p) => ({ kind: 'patchPetSet', name: p.name, patch: p.patch })),
        `Updating PetSets ${patches.map((p) => p.name).join(', ')} to ${tls ? 'add' : 'remove'} the tls-volume`,
      );
    }
    if (lagging.length) return wait(Cond.UpdatePetSets, `waiting for the PetSet controller to observe ${lagging.join(', ')}`, 0);
    return record(Cond.UpdatePetSets, 'Successfully updated PetSets');
  },
};

/** The pod the restart stage is at: the first, in restart order, not yet seen Ready again. */
export function currentPod(req: SinglestoreOpsRequest, db: Singlestore, seen: Observed): string | undefined {
  return restartOrder(db, seen.petSets).find((p) => !isDone(req, checkPodReadyCondition(p)));
}

const restart: Stage = {
  name: Cond.RestartNodes,
  marks: [Cond.RestartNodes],
  done: (req) => isDone(req, Cond.RestartNodes),
  reads: (req, db, seen) => {
    const refs = [dbRef(req), ...petSetRefs(req, db)];
    // The pod depends on the PetSets' replicas: named once they have been read.
    const pod = db && seen.petSets.length ? currentPod(req, db, seen) : undefined;
    if (pod) refs.push({ kind: 'pods', namespace: namespaceOf(req), name: pod });
    return refs;
  },
  plan: ({ obs, state }) => {
    const req = obs.request;
    const conds = req.status?.conditions;
    const ns = namespaceOf(req);
    const podName = currentPod(req, observedDatabase(obs), obs);
    if (podName === undefined) return record(Cond.RestartNodes, 'Successfully restarted all nodes');
    const pod = obs.pods.find((p) => p.metadata?.name === podName);
    const evictType = evictPodCondition(podName);
    if (!isDone(req, evictType)) {
      const getType = getPodCondition(podName);
      if (!isDone(req, getType)) {
        const seenUid = pod?.metadata?.uid ?? '';
        const next = { ...state, pods: { ...state.pods, [podName]: seenUid } };
        if (!pod) return recordPod(getType, `Pod ${ns}/${podName} not found; its PetSet recreates it`, [], next);
        return recordPod(getType, `Successfully got pod ${ns}/${podName} (uid ${seenUid})`, [], next);
      }
      if (!pod) return recordPod(evictType, `Pod ${ns}/${podName} was not running (uid none); its PetSet recreates it`);
      const seen = state.pods[podName] ?? '';
      const uid = pod.metadata?.uid ?? '';
      if (seen !== '' && uid !== seen) {
        // The pod seen at GetPod-- is gone already (evicted before a crash, or deleted):
        // its replacement is never evicted.
        return recordPod(evictType, `Successfully evicted pod ${ns}/${podName} (uid ${seen})`);
      }
      const next = { ...state, pods: { ...state.pods, [podName]: uid } };
      if (pod.metadata?.deletionTimestamp) return recordPod(evictType, `Pod ${ns}/${podName} was already terminating (uid ${uid})`, [], next);
      return recordPod(evictType, `Successfully evicted pod ${ns}/${podName} (uid ${uid})`, [{ kind: 'evictPod', name: podName, uid }], next);
    }
    const readyType = checkPodReadyCondition(podName);
    const oldUid = state.pods[podName] ?? '';
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
      return wait(readyType, `pod ${ns}/${podName} (uid ${pod.metadata?.uid ?? ''}) was created at ${pod.metadata?.creationTimestamp ?? 'an unknown time'}, before the certificates and PetSet it must run were in place; waiting for a newer pod`, 0);
    }
    return wait(readyType, `waiting for pod ${ns}/${podName} to be recreated and Ready`, 0);
  },
};

const database: Stage = {
  name: Cond.UpdateDatabase,
  marks: [Cond.UpdateDatabase],
  done: (req) => isDone(req, Cond.UpdateDatabase),
  reads: (req) => [dbRef(req)],
  plan: ({ obs }) => {
    const tls = targetTLS(obs);
    const current = obs.database?.spec?.tls ?? null;
    const actions: Action[] = jsonEqual(current, tls) ? [] : [{ kind: 'patchDatabase', patch: { spec: { tls } } }];
    return record(Cond.UpdateDatabase, tls ? 'Successfully updated the TLS spec of the database' : 'Successfully removed TLS from the database', actions);
  },
};

const resume: Stage = {
  name: Cond.DatabaseResumeSucceeded,
  marks: [Cond.DatabaseResumeSucceeded],
  done: (req) => isDone(req, Cond.DatabaseResumeSucceeded),
  reads: (req) => [dbRef(req)],
  plan: ({ obs }) =>
    record(Cond.DatabaseResumeSucceeded, `Successfully resumed Singlestore ${namespaceOf(obs.request)}/${dbName(obs.request)}`, [
      { kind: 'resumeDatabase', reason: pauseReason(obs.request) },
    ]),
};

const successful: Stage = {
  name: Cond.Successful,
  marks: [Cond.Successful],
  done: (req) => req.status?.phase === 'Successful',
  reads: (req) => [dbRef(req)],
  plan: () => {
    const message = 'Successfully completed reconfigureTLS for Singlestore';
    return act(Cond.Successful, [], message, { phase: 'Successful', condition: { type: Cond.Successful, status: 'True', reason: Cond.Successful, message } });
  },
};

/** Terminal (or a phase another controller owns). Safety net: never leave the database
 *  paused by this request. */
const terminal: Stage = {
  name: 'Terminal',
  marks: [],
  done: () => false,
  reads: (req) => [dbRef(req)],
  plan: ({ obs }) => {
    const req = obs.request;
    if (pausedByRequest(obs.database, req)) {
      return act(Cond.DatabaseResumeSucceeded, [{ kind: 'resumeDatabase', reason: pauseReason(req) }], `Resumed database paused by ${requestKey(req)}`);
    }
    return { type: 'done', reason: `phase ${req.status?.phase ?? ''}` };
  },
};

/** Before Progressing: '' → Pending, then start (or skip, fail, wait). */
export const START_STAGES: readonly Stage[] = [pending, start];
/** Progressing, in order; every wait here is bounded by spec.timeout. */
export const PROGRESS_STAGES: readonly Stage[] = [pause, certificates, petSets, restart, database, resume, successful];
/** The whole chain, in order (docs/reconciler.md's table). */
export const STAGES: readonly Stage[] = [...START_STAGES, ...PROGRESS_STAGES];

/** The stage the request is at (the terminal safety net once it is finished). */
export function currentStage(req: SinglestoreOpsRequest): Stage | undefined {
  if (!isTLS(req)) return undefined;
  const phase = req.status?.phase ?? '';
  if (phase === '' || phase === 'Pending') return START_STAGES.find((s) => !s.done(req));
  if (phase !== 'Progressing') return terminal;
  return PROGRESS_STAGES.find((s) => !s.done(req)) ?? successful;
}

/** The one next step for the request: the first stage not done, that does not pass. */
export function plan(obs: Observed, now: number, opts: PlanOptions = {}): Plan {
  const req = obs.request;
  if (!isTLS(req)) return { type: 'done', reason: 'not a ReconfigureTLS request' };
  const phase = req.status?.phase ?? '';
  const { state } = readState(req.status?.conditions);
  const input: StageInput = { obs, state, opts };
  if (phase === '' || phase === 'Pending') return runStages(START_STAGES, input) ?? { type: 'done', reason: `phase ${phase}` };
  if (phase !== 'Progressing') {
    const p = terminal.plan(input);
    return p.type === 'pass' ? { type: 'done', reason: `phase ${phase}` } : p;
  }
  const next: Plan = obs.database
    ? (runStages(PROGRESS_STAGES, input) ?? { type: 'done', reason: 'every stage done' })
    : wait(Cond.DatabasePauseSucceeded, `Singlestore ${namespaceOf(req)}/${dbName(req)} not found`, 0);
  // Every Progressing step is bounded by spec.timeout, counted from the last transition.
  const limit = timeoutMs(req, opts);
  const started = latestTransition(req.status?.conditions);
  const elapsed = started === undefined ? 0 : now - started;
  if (started !== undefined && elapsed > limit) {
    const what = next.type === 'wait' ? `: ${next.message}` : '';
    const step = next.type === 'done' ? 'Successful' : next.step;
    return failPlan(obs, `step ${step} did not finish within spec.timeout ${formatMs(limit)}${what}`, step);
  }
  // A wait is woken by watch events on what its stage read; the timer is only there so
  // that the timeout fires (1 ms past it).
  if (next.type === 'wait') return { ...next, requeueAfterMs: limit - elapsed + 1 };
  return next;
}

function runStages(stages: readonly Stage[], input: StageInput): Plan | undefined {
  for (const s of stages) {
    if (s.done(input.obs.request)) continue;
    const p = s.plan(input);
    if (p.type !== 'pass') return p;
  }
  return undefined;
}
