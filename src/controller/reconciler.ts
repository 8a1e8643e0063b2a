// Carries out ReconfigureTLS requests one step at a time: read → gather → plan (pure) →
// act one step → write status only if it changed. Knows nothing of queues, timers or
// leadership (see ./queue.ts, ./leader.ts, ./index.ts).
import type { Certificate, PetSet, Pod, SinglestoreOpsRequest } from '../api/types.js';
import {
  Cond,
  certificateName,
  getCondition,
  hasCondition,
  latestTransition,
  nextStatus,
  PAUSED,
  pauseHolder,
  pauseReason,
  pausedConditions,
  plan,
  restartOrder,
  resumedConditions,
  secretNameOf,
  setCondition,
  tlsOperation,
  type Action,
  type Observed,
  type Plan,
  type PlanOptions,
  type Preflight,
  type PrefetchedIssuers,
  type StatusChange,
  referencedIssuers,
  petSetNames,
  deepEqual,
} from '../core/reconcile/index.js';
import type { ClusterView } from '../core/view.js';
import { isConflict, isNotFound, isTooManyRequests, statusMessage, type Clock, type Ports } from '../kube/ports.js';
import { silentLogger, type Logger, type ReconcileMetrics } from './types.js';
import { boundText, EVENT_MESSAGE_MAX, LOG_FIELD_MAX, MESSAGE_MAX } from '../core/field/quote.js';
import { nameOf as coreNameOf, namespaceOf } from '../core/meta.js';

/** A log field: escaped and cut (names, steps, error texts; docs/security.md). */
const logText = (s: string, max: number = LOG_FIELD_MAX): string => boundText(s, max, max);

/** Where the reconciler reads the ops requests of one database from without an API call
 *  (the informer-backed ClusterView in production). */
export type OpsRequestView = Pick<ClusterView, 'listOpsRequests'>;

export interface ReconcilerOptions {
  ports: Ports;
  /** The ops requests of a database come from here (a cache; may lag behind the API
   *  server). Without it every pass LISTs the namespace through `ports.opsRequests.list`.
   *  Decisions that hinge on siblings (start, skip) are confirmed with GETs first. */
  view?: OpsRequestView;
  clock: Clock;
  logger?: Logger;
  metrics?: ReconcileMetrics;
  /** Builds the pre-flight review for one observation (issuers fetched for it). */
  preflight?: (fetched: PrefetchedIssuers) => Preflight;
  plan?: PlanOptions;
  /** Checked before every step; false stops work at once (leadership lost, stopping). */
  active?: () => boolean;
  /** Max steps taken for one request in one pass before yielding (default 100). */
  maxStepsPerPass?: number;
  /** Requeue delay after an API error or a PDB-blocked eviction (default 5s). */
  errorRequeueMs?: number;
  /** Called after every step carried out (its actions done and its status written). */
  onStep?: (step: string, request: SinglestoreOpsRequest) => void;
}

export interface PassResult {
  /** Come back after this long (undefined: nothing to wait for). */
  requeueAfterMs?: number;
  /** Steps acted on in this pass. */
  steps: string[];
}

const ALIASES = ['server', 'client', 'metrics-exporter'];
const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);
const CONFLICT_RETRIES = 5;

/** Runs one read-decide-write attempt again on a 409 Conflict (each attempt re-reads). */
async function retryOnConflict(attempt: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (!isConflict(err) || i >= CONFLICT_RETRIES) throw err;
    }
  }
}

const nameOf = (o: { metadata?: { name?: string } }): string => coreNameOf(o) ?? '';

/** Metric label for a step: per-pod steps collapse to their kind (bounded cardinality). */
export function stepLabel(step: string): string {
  const i = step.indexOf('--');
  return i < 0 ? step : step.slice(0, i);
}

function minDelay(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export class Reconciler {
  private readonly log: Logger;
  /** `ns/db` → requests this process moved to Progressing and has not yet seen finish.
   *  The view may not show our own write yet; these are GET before a sibling decision. */
  private readonly startedHere = new Map<string, Set<string>>();

  constructor(private readonly o: ReconcilerOptions) {
    this.log = o.logger ?? silentLogger;
  }

  private active(): boolean {
    return this.o.active ? this.o.active() : true;
  }

  /** One pass over every ReconfigureTLS request of one database, oldest first, the
   *  Progressing one before the rest. */
  async reconcileDatabase(namespace: string, database: string): Promise<PassResult> {
    const all = await this.requestsOf(namespace, database);
    const mine = all.filter((r) => r.spec?.type === 'ReconfigureTLS');
    const rank = (r: SinglestoreOpsRequest): number => (r.status?.phase === 'Progressing' ? 0 : !r.status?.phase || r.status.phase === 'Pending' ? 1 : 2);
    mine.sort((a, b) => rank(a) - rank(b) || (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || nameOf(a).localeCompare(nameOf(b)));
    const out: PassResult = { steps: [] };
    let db = await this.o.ports.databases.get(namespace, database);
    // A request deleted while it held the database paused (the user cancelled it): resume
    // first — only our own pause — so that a request queued behind it is reviewed against
    // the resumed database instead of failing on the orphaned pause (database-paused).
    const paused = getCondition(db?.status?.conditions, PAUSED);
    if (db && paused && this.active()) {
      const holder = pauseHolder(paused.reason);
      if (holder && holder.namespace === namespace && !all.some((r) => nameOf(r) === holder.name) && (paused.message ?? '').includes('sdb-tls-guard') && (await this.gone(namespace, holder.name))) {
        this.log.warn({ namespace: logText(namespace), database: logText(database), request: logText(holder.name) }, 'resuming database paused by a deleted ops request');
        await this.resume(namespace, database, paused.reason ?? '');
        // Recorded on the deleted request (an Event may name an object that is gone), so
        // `kubectl get events -l ops.kubedb.com/name=<request>` ends its story.
        const gone: SinglestoreOpsRequest = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: holder.name, namespace } };
        await this.event(gone, 'Normal', Cond.DatabaseResumeSucceeded, `Resumed Singlestore ${namespace}/${database}: SinglestoreOpsRequest ${namespace}/${holder.name}, which paused it, was deleted`);
        db = await this.o.ports.databases.get(namespace, database);
      }
    }
    const pausedBy = getCondition(db?.status?.conditions, PAUSED)?.reason;
    for (const r of mine) {
      if (!this.active()) break;
      if (rank(r) === 2 && pausedBy !== pauseReason(r)) continue;
      const res = await this.reconcileRequest(namespace, nameOf(r));
      out.steps.push(...res.steps);
      out.requeueAfterMs = minDelay(out.requeueAfterMs, res.requeueAfterMs);
    }
    return out;
  }

  /** Every ops request (any type) of one database: from the view when given (no API
   *  call), else a namespace-wide LIST filtered here. */
  private async requestsOf(namespace: string, database: string): Promise<SinglestoreOpsRequest[]> {
    if (this.o.view) return this.o.view.listOpsRequests(namespace, database);
    return (await this.o.ports.opsRequests.list(namespace)).filter((r) => r.spec?.databaseRef?.name === database);
  }

  /** Whether the request is really gone: a cache miss is confirmed with a GET (an
   *  unsynced or lagging cache must not make us resume a database still being worked on). */
  private async gone(namespace: string, name: string): Promise<boolean> {
    if (!this.o.view) return true; // it was missing from a fresh LIST
    return (await this.o.ports.opsRequests.get(namespace, name)) === undefined;
  }

  /** Fresh copies (GET) of the siblings a Pending decision rests on: those the view
   *  shows, plus any this process started that the view may not show yet. Deleted ones drop out. */
  private async confirmSiblings(req: SinglestoreOpsRequest, cached: SinglestoreOpsRequest[]): Promise<SinglestoreOpsRequest[]> {
    const ns = namespaceOf(req);
    const key = `${ns}/${req.spec?.databaseRef?.name ?? ''}`;
    const names = new Set(cached.map(nameOf));
    for (const n of this.startedHere.get(key) ?? []) names.add(n);
    names.delete(nameOf(req));
    const fresh = await Promise.all([...names].map((n) => this.o.ports.opsRequests.get(ns, n)));
    const out: SinglestoreOpsRequest[] = [];
    for (const r of fresh) {
      if (!r) continue;
      if (TERMINAL.has(r.status?.phase ?? '')) this.forget(r);
      out.push(r);
    }
    for (const n of names) if (!out.some((r) => nameOf(r) === n)) this.startedHere.get(key)?.delete(n);
    return out;
  }

  private forget(r: SinglestoreOpsRequest): void {
    const key = `${namespaceOf(r)}/${r.spec?.databaseRef?.name ?? ''}`;
    const set = this.startedHere.get(key);
    if (!set) return;
    set.delete(nameOf(r));
    if (set.size === 0) this.startedHere.delete(key);
  }

  private remember(r: SinglestoreOpsRequest): void {
    const key = `${namespaceOf(r)}/${r.spec?.databaseRef?.name ?? ''}`;
    let set = this.startedHere.get(key);
    if (!set) this.startedHere.set(key, (set = new Set()));
    set.add(nameOf(r));
  }

  /** Steps through one request until it must wait, is done, or the pass limit is hit. */
  async reconcileRequest(namespace: string, name: string): Promise<PassResult> {
    const steps: string[] = [];
    const max = this.o.maxStepsPerPass ?? 100;
    for (let i = 0; i < max; i++) {
      if (!this.active()) return { steps };
      const req = await this.o.ports.opsRequests.get(namespace, name);
      if (!req) return { steps };
      if (TERMINAL.has(req.status?.phase ?? '')) this.forget(req);
      const { obs, fetched } = await this.observe(req);
      const planOpts: PlanOptions = { ...(this.o.plan ?? {}) };
      if (this.o.preflight) planOpts.preflight = this.o.preflight(fetched);
      let p = plan(obs, this.o.clock.now(), planOpts);
      if (this.o.view && req.status?.phase === 'Pending' && p.type === 'act') {
        // Siblings came from the cache: confirm them before starting, skipping or failing.
        obs.siblings = await this.confirmSiblings(req, obs.siblings);
        p = plan(obs, this.o.clock.now(), planOpts);
      }
      if (p.type === 'done') return { steps };
      if (p.type === 'wait') {
        this.o.metrics?.reconcileSteps.inc({ step: stepLabel(p.step), result: 'wait' });
        this.log.debug?.({ request: logText(`${namespace}/${name}`), step: logText(p.step), message: logText(p.message, MESSAGE_MAX) }, 'waiting');
        return { steps, requeueAfterMs: p.requeueAfterMs };
      }
      if (!this.active()) return { steps };
      try {
        await this.execute(obs, p);
        if (p.status?.phase === 'Progressing' && req.status?.phase !== 'Progressing') this.remember(req);
        steps.push(p.step);
        this.o.onStep?.(p.step, req);
      } catch (err) {
        const retryMs = this.o.errorRequeueMs ?? 5000;
        this.o.metrics?.reconcileSteps.inc({ step: stepLabel(p.step), result: 'error' });
        if (isConflict(err)) continue; // fresh read, plan again
        this.o.metrics?.reconcileErrors?.inc({ kind: 'step' });
        const message = err instanceof Error ? err.message : String(err);
        if (isTooManyRequests(err)) {
          // The API server refused the eviction (a PodDisruptionBudget allows no disruption
          // now): say so on the step's condition, then retry. The condition stays False with
          // one message, so retries neither rewrite the status nor restart the step's clock.
          const said = `Cannot evict yet, the API server answered 429 (a PodDisruptionBudget forbids the disruption): ${statusMessage(err)}; retrying every ${Math.round(retryMs / 1000)}s until spec.timeout`;
          await this.writeStatus(req, { condition: { type: p.step, status: 'False', reason: '', message: said } }).catch((e: unknown) => {
            this.log.warn({ request: `${namespace}/${name}`, step: p.step, err: e instanceof Error ? e.message : String(e) }, 'could not record the refused eviction');
          });
          await this.event(req, 'Warning', p.step, `retrying later: ${message}`);
          return { steps, requeueAfterMs: retryMs };
        }
        this.log.error({ request: logText(`${namespace}/${name}`), step: logText(p.step), err: logText(message, MESSAGE_MAX) }, 'reconcile step failed; will retry');
        await this.event(req, 'Warning', p.step, `retrying later: ${message}`);
        return { steps, requeueAfterMs: retryMs };
      }
    }
    return { steps, requeueAfterMs: 0 };
  }

  /** Gathers what the planner needs for the request's current stage (and no more). */
  async observe(req: SinglestoreOpsRequest): Promise<{ obs: Observed; fetched: PrefetchedIssuers }> {
    const p = this.o.ports;
    const ns = namespaceOf(req);
    const dbName = req.spec?.databaseRef?.name ?? '';
    const conds = req.status?.conditions;
    const phase = req.status?.phase ?? '';
    const fetched: PrefetchedIssuers = { issuers: new Map(), clusterIssuers: new Map() };
    const [all, database] = await Promise.all([
      phase === '' || phase === 'Pending' ? this.requestsOf(ns, dbName) : Promise.resolve([] as SinglestoreOpsRequest[]),
      p.databases.get(ns, dbName),
    ]);
    const siblings = all.filter((r) => nameOf(r) !== nameOf(req));
    const obs: Observed = { request: req, siblings, database, certificates: [], secrets: [], petSets: [], pods: [] };
    if (phase === 'Pending') {
      await Promise.all(
        referencedIssuers(req).map(async (ref) => {
          if (ref.kind === 'ClusterIssuer') fetched.clusterIssuers.set(ref.name, await p.issuers.getClusterIssuer(ref.name));
          else if (ref.kind === 'Issuer') fetched.issuers.set(`${ns}/${ref.name}`, await p.issuers.getIssuer(ns, ref.name));
        }),
      );
    }
    if (phase !== 'Progressing' || !database) return { obs, fetched };
    const done = (t: string): boolean => hasCondition(conds, t, 'True');
    if (done(Cond.DatabasePauseSucceeded) && !done(Cond.CertificateSynced)) {
      const aliases = new Set(ALIASES);
      for (const c of database.spec?.tls?.certificates ?? []) if (c.alias) aliases.add(c.alias);
      for (const c of req.spec?.tls?.certificates ?? []) if (c.alias) aliases.add(c.alias);
      const certs = await Promise.all([...aliases].map((a) => p.certificates.get(ns, certificateName(dbName, a))));
      obs.certificates = certs.filter((c): c is Certificate => c !== undefined);
      if (tlsOperation(req.spec?.tls) === 'remove') {
        // Derived names only: they are deleted blind (404 is success), never read.
        const names = new Set<string>();
        for (const a of aliases) names.add(secretNameOf(dbName, database.spec?.tls?.certificates?.find((c) => c.alias === a), a));
        obs.secrets = [...names];
      }
    }
    if (done(Cond.CertificateSynced) && !done(Cond.RestartNodes)) {
      const sets = await Promise.all(petSetNames(database).map(({ name }) => p.petSets.get(ns, name)));
      obs.petSets = sets.filter((s): s is PetSet => s !== undefined);
      if (done(Cond.UpdatePetSets)) {
        const pods = await Promise.all(restartOrder(database, obs.petSets).map((n) => p.pods.get(ns, n)));
        obs.pods = pods.filter((x): x is Pod => x !== undefined);
      }
    }
    return { obs, fetched };
  }

  /** Runs a plan's actions in order, then records its status change and its event. */
  async execute(obs: Observed, p: Extract<Plan, { type: 'act' }>): Promise<void> {
    const req = obs.request;
    const ns = namespaceOf(req);
    const started = latestTransition(req.status?.conditions);
    for (const a of p.actions) await this.runAction(obs, a);
    if (p.status) await this.writeStatus(req, p.status);
    const now = this.o.clock.now();
    this.o.metrics?.reconcileSteps.inc({ step: stepLabel(p.step), result: p.step === Cond.Failed ? 'failed' : 'success' });
    const phase = p.status?.phase;
    if (phase && phase !== (req.status?.phase ?? '')) this.o.metrics?.opsRequestTransitions?.inc({ phase });
    if (p.step === Cond.Failed) this.o.metrics?.reconcileFailures?.inc({ step: stepLabel(p.failedStep ?? 'Unknown') });
    if (p.status?.condition && started !== undefined) {
      this.o.metrics?.reconcileStepDuration.observe({ step: stepLabel(p.step) }, Math.max(0, (now - started) / 1000));
    }
    this.log.info({ request: logText(`${ns}/${nameOf(req)}`), step: logText(p.step), message: logText(p.event.message, MESSAGE_MAX) }, 'reconcile step');
    await this.event(req, p.event.type, p.event.reason, p.event.message);
  }

  private async event(req: SinglestoreOpsRequest, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      // Every Event goes through here: its message is bounded (docs/security.md).
      await this.o.ports.events.emit(req, type, reason, boundText(message, EVENT_MESSAGE_MAX, EVENT_MESSAGE_MAX));
    } catch (err) {
      this.log.warn({ reason: logText(reason), err: logText(err instanceof Error ? err.message : String(err), MESSAGE_MAX) }, 'could not record event');
    }
  }

  /** Writes the status change; only when it changes something; 409 → re-read, retry. */
  async writeStatus(req: SinglestoreOpsRequest, change: StatusChange): Promise<void> {
    const ns = namespaceOf(req);
    const name = nameOf(req);
    let cur: SinglestoreOpsRequest | undefined = req;
    for (let i = 0; ; i++) {
      if (!cur) return;
      const next = nextStatus(cur, change, new Date(this.o.clock.now()).toISOString());
      if (deepEqual(next, cur.status ?? {})) return;
      try {
        await this.o.ports.opsRequests.patchStatus(ns, name, {
          metadata: { resourceVersion: cur.metadata?.resourceVersion },
          status: next,
        });
        return;
      } catch (err) {
        if (!isConflict(err) || i >= CONFLICT_RETRIES) throw err;
        cur = await this.o.ports.opsRequests.get(ns, name);
      }
    }
  }

  private async pause(ns: string, db: string, reason: string, message: string): Promise<void> {
    await retryOnConflict(async () => {
      const cur = await this.o.ports.databases.get(ns, db);
      if (!cur) throw Object.assign(new Error(`Singlestore ${ns}/${db} not found`), { code: 404 });
      const conds = pausedConditions(cur, reason, message, new Date(this.o.clock.now()).toISOString());
      if (!conds) return;
      await this.o.ports.databases.patchStatus(ns, db, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, status: { conditions: conds } });
    });
  }

  private async resume(ns: string, db: string, reason: string): Promise<void> {
    await retryOnConflict(async () => {
      const cur = await this.o.ports.databases.get(ns, db);
      if (!cur) return;
      const conds = resumedConditions(cur, reason);
      if (!conds) return;
      await this.o.ports.databases.patchStatus(ns, db, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, status: { conditions: conds } });
    });
  }

  private async markIssuing(ns: string, name: string, message: string): Promise<void> {
    await retryOnConflict(async () => {
      const cur = await this.o.ports.certificates.get(ns, name);
      if (!cur) return;
      if (hasCondition(cur.status?.conditions, 'Issuing', 'True')) return;
      const conds = setCondition(
        cur.status?.conditions,
        { type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message, ...(cur.metadata?.generation !== undefined ? { observedGeneration: cur.metadata.generation } : {}) },
        new Date(this.o.clock.now()).toISOString(),
      );
      await this.o.ports.certificates.patchStatus(ns, name, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, status: { conditions: conds } });
    });
  }


  async runAction(obs: Observed, a: Action): Promise<void> {
    const p = this.o.ports;
    const req = obs.request;
    const ns = namespaceOf(req);
    const db = req.spec?.databaseRef?.name ?? '';
    switch (a.kind) {
      case 'pauseDatabase':
        return this.pause(ns, db, a.reason, a.message);
      case 'resumeDatabase':
        return this.resume(ns, db, a.reason);
      case 'createCertificate':
        try {
          await p.certificates.create(ns, a.certificate);
        } catch (err) {
          if (!isConflict(err)) throw err; // AlreadyExists: the next plan patches it
        }
        return;
      case 'patchCertificate':
        await p.certificates.patch(ns, a.name, a.patch);
        return;
      case 'markIssuing':
        return this.markIssuing(ns, a.name, a.message);
      case 'deleteCertificate':
        return p.certificates.delete(ns, a.name);
      case 'deleteSecret':
        return p.secrets.delete(ns, a.name);
      case 'patchPetSet':
        await p.petSets.patch(ns, a.name, a.patch);
        return;
      case 'evictPod':
        try {
          await p.pods.evict(ns, a.name, a.uid || undefined);
        } catch (err) {
          // Gone already, or the uid precondition failed (already replaced): done.
          if (isNotFound(err) || isConflict(err)) return;
          throw err;
        }
        return;
      case 'patchDatabase':
        await p.databases.patch(ns, db, a.patch);
        return;
    }
  }
}

