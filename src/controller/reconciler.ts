// Carries out ReconfigureTLS requests one step at a time: the current stage's reads (from
// the cache) → plan (pure, ../core/reconcile/stages.ts) → act one step → queue its status
// change (written only if it changes something). Knows nothing of queues, timers or
// leadership (see ./queue.ts, ./leader.ts, ./index.ts).
import type { Certificate, KubeObject, SinglestoreOpsRequest } from '../api/types.js';
import { Cond, currentStage, getCondition, hasCondition, latestTransition, nextStatus, PAUSED, pausedConditions, plan, refKey, referencedIssuers, resumedConditions, secretNames, setCondition, tlsOperation, type Action, type ObjectRef, type Observed, type Plan, type PlanOptions, type Preflight, type PrefetchedIssuers, type Stage, type StatusChange } from '../core/reconcile/index.js';
import { pauseHolder, pauseReason } from '../core/names.js';
import { isConflict, isNotFound, isTooManyRequests, statusMessage, type Clock, type Ports } from '../kube/ports.js';
import { silentLogger, type CachedKind, type CachedKinds, type Logger, type ReconcileCache, type ReconcileMetrics } from './types.js';
import { boundText, EVENT_MESSAGE_MAX, LOG_FIELD_MAX, MESSAGE_MAX } from '../core/field/quote.js';
import { jsonEqual } from '../core/json-equal.js';
import { nameOf as coreNameOf, namespaceOf } from '../core/meta.js';

/** A log field: escaped and cut (names, steps, error texts; docs/security.md). */
const logText = (s: string, max: number = LOG_FIELD_MAX): string => boundText(s, max, max);

export interface ReconcilerOptions {
  ports: Ports;
  /** The objects the stages read come from here (informer caches; they may lag behind
   *  the API server). A kind is read with a GET only while its cache has not synced,
   *  or to confirm: a 409, the siblings before a start or skip, a vanished pausing
   *  request. Without a cache every read is a GET and a database's requests are LISTed. */
  cache?: ReconcileCache;
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
  /** Without a cache nothing wakes a waiting stage: its wait is polled this often (default 2s). */
  pollMs?: number;
  /** Called after every step carried out (its actions done and its status written). */
  onStep?: (step: string, request: SinglestoreOpsRequest) => void;
}

export interface PassResult {
  /** Come back after this long (undefined: nothing to wait for). */
  requeueAfterMs?: number;
  /** Steps acted on in this pass. */
  steps: string[];
  /** What the waiting stages read: a cache event on one of these wakes the database. */
  watched: ObjectRef[];
}

const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);
const CONFLICT_RETRIES = 5;

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

/**
 * Orders two resourceVersions: <0 a older, 0 same, >0 a newer; undefined when they cannot
 * be ordered. resourceVersions are opaque to clients; they are compared only to tell
 * whether a cache has caught up with our own write, and only when both are decimal
 * integers (etcd revisions, the in-memory store); anything else is confirmed with a GET.
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** An object this process wrote (or deleted: obj undefined), until the cache shows it. */
interface OwnWrite {
  obj: KubeObject | undefined;
  resourceVersion: string | undefined;
}

const ownKey = (kind: CachedKind, ns: string, name: string): string => `${kind}/${ns}/${name}`;

/**
 * The status writes of one pass over one request. A step's status change is queued once
 * its actions succeeded (never before) and planned on at once (`current`); the queue is
 * written as one patch before an eviction, on a phase change, and when the pass ends.
 * Steps that complete in the same pass (CheckPodReady of one pod and GetPod of the next;
 * RestartNodes, UpdateDatabase, DatabaseResumeSucceeded and Successful) so share one
 * write, their conditions in the same order as before.
 */
export class StatusBatch {
  private pending: StatusChange[] = [];
  current: SinglestoreOpsRequest;

  constructor(
    private written: SinglestoreOpsRequest,
    private readonly write: (base: SinglestoreOpsRequest, changes: readonly StatusChange[]) => Promise<SinglestoreOpsRequest | undefined>,
    private readonly nowIso: () => string,
  ) {
    this.current = written;
  }

  add(change: StatusChange): void {
    this.pending.push(change);
    this.current = { ...this.current, status: nextStatus(this.current, change, this.nowIso()) };
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    const w = await this.write(this.written, changes);
    this.reset(w ?? this.current);
  }

  /** Drops what is queued; plans from `req` from now on. */
  reset(req: SinglestoreOpsRequest): void {
    this.pending = [];
    this.written = req;
    this.current = req;
  }
}

export class Reconciler {
  private readonly log: Logger;
  /** `ns/db` → requests this process moved to Progressing and has not yet seen finish.
   *  The cache may not show our own write yet; these are GET before a sibling decision. */
  private readonly startedHere = new Map<string, Set<string>>();
  /** Read your own writes: what this process last wrote of an object, kept until the
   *  cache shows that version (or a newer one), so a lagging cache never makes a stage
   *  repeat a step or write on a stale resourceVersion. */
  private readonly own = new Map<string, OwnWrite>();

  constructor(private readonly o: ReconcilerOptions) {
    this.log = o.logger ?? silentLogger;
  }

  private active(): boolean {
    return this.o.active ? this.o.active() : true;
  }

  /** The cache applied an event: drops our own copy of the object once the cache has caught up. */
  cacheChanged(kind: CachedKind, obj: KubeObject): void {
    const key = ownKey(kind, namespaceOf(obj), nameOf(obj));
    const mine = this.own.get(key);
    if (!mine) return;
    const order = compareResourceVersions(obj.metadata?.resourceVersion, mine.resourceVersion);
    if (order === undefined || order >= 0) this.own.delete(key);
  }

  private remembered(kind: CachedKind, obj: KubeObject | undefined, ns: string, name: string, deletedRv?: string): void {
    this.own.set(ownKey(kind, ns, name), { obj, resourceVersion: obj ? obj.metadata?.resourceVersion : deletedRv });
  }

  /** A GET, for a kind the cache has not synced, or to confirm. */
  private async fetch<K extends CachedKind>(kind: K, ns: string, name: string): Promise<CachedKinds[K] | undefined> {
    const p = this.o.ports;
    switch (kind) {
      case 'singlestores':
        return (await p.databases.get(ns, name)) as CachedKinds[K] | undefined;
      case 'singlestoreopsrequests':
        return (await p.opsRequests.get(ns, name)) as CachedKinds[K] | undefined;
      case 'certificates':
        return await p.certificates.get(ns, name);
      case 'petsets':
        return await p.petSets.get(ns, name);
      case 'issuers':
        return await p.issuers.getIssuer(ns, name);
      case 'clusterissuers':
        return await p.issuers.getClusterIssuer(name);
      default:
        return (await p.pods.get(ns, name)) as CachedKinds[K] | undefined;
    }
  }

  /** The current copy of one object: the cache's, or our own write while the cache lags. */
  private async read<K extends CachedKind>(kind: K, ns: string, name: string): Promise<CachedKinds[K] | undefined> {
    const cache = this.o.cache;
    if (!cache?.hasSynced(kind)) return this.fetch(kind, ns, name);
    const cached = cache.get(kind, ns, name);
    const key = ownKey(kind, ns, name);
    const mine = this.own.get(key);
    if (!mine) return cached;
    if (!cached && !mine.obj) {
      this.own.delete(key); // our delete has reached the cache
      return undefined;
    }
    const order = compareResourceVersions(cached?.metadata?.resourceVersion, mine.resourceVersion);
    if (cached && order === undefined) {
      this.own.delete(key);
      return this.fetch(kind, ns, name);
    }
    if (cached && order !== undefined && (order > 0 || (order === 0 && mine.obj))) {
      this.own.delete(key); // the cache shows our write, or something newer
      return cached;
    }
    return mine.obj;
  }

  /** `read`, but an object the cache lacks is looked up once (a GET): the start fails a
   *  request for a missing issuer for good, so that rests on a fresh read, not on a cache
   *  that may lag behind (an issuer just recreated). Free while the issuer is there. */
  private async readConfirmingAbsence(kind: 'issuers' | 'clusterissuers', ns: string, name: string): Promise<CachedKinds[typeof kind] | undefined> {
    const found = await this.read(kind, ns, name);
    if (found || !this.o.cache?.hasSynced(kind)) return found;
    return this.fetch(kind, ns, name);
  }

  /** Every ops request (any type) of one database: from the cache when given (no API
   *  call; our own newer writes win), else a namespace-wide LIST filtered here. */
  private async requestsOf(namespace: string, database: string): Promise<SinglestoreOpsRequest[]> {
    const cache = this.o.cache;
    if (!cache?.hasSynced('singlestoreopsrequests')) {
      return (await this.o.ports.opsRequests.list(namespace)).filter((r) => r.spec?.databaseRef?.name === database);
    }
    const out: SinglestoreOpsRequest[] = [];
    for (const r of cache.listOpsRequests(namespace, database)) out.push((await this.read('singlestoreopsrequests', namespace, nameOf(r))) ?? r);
    return out;
  }

  /** One pass over every ReconfigureTLS request of one database, oldest first, the
   *  Progressing one before the rest. */
  async reconcileDatabase(namespace: string, database: string): Promise<PassResult> {
    const all = await this.requestsOf(namespace, database);
    const mine = all.filter((r) => r.spec?.type === 'ReconfigureTLS');
    const rank = (r: SinglestoreOpsRequest): number => (r.status?.phase === 'Progressing' ? 0 : !r.status?.phase || r.status.phase === 'Pending' ? 1 : 2);
    mine.sort((a, b) => rank(a) - rank(b) || (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || nameOf(a).localeCompare(nameOf(b)));
    const out: PassResult = { steps: [], watched: [] };
    let db = await this.read('singlestores', namespace, database);
    // A request deleted while it held the database paused (the user cancelled it): resume
    // first — only our own pause, told by the reason's fixed format (pauseHolder) — so that
    // a request queued behind it is reviewed against the resumed database instead of
    // failing on the orphaned pause (database-paused).
    const paused = getCondition(db?.status?.conditions, PAUSED);
    if (db && paused && this.active()) {
      const holder = pauseHolder(paused.reason);
      if (holder?.namespace === namespace && !all.some((r) => nameOf(r) === holder.name) && (await this.gone(namespace, holder.name))) {
        this.log.warn({ namespace: logText(namespace), database: logText(database), request: logText(holder.name) }, 'resuming database paused by a deleted ops request');
        await this.resume(namespace, database, paused.reason ?? '');
        // Recorded on the deleted request (an Event may name an object that is gone), so
        // `kubectl get events -l ops.kubedb.com/name=<request>` ends its story.
        const gone: SinglestoreOpsRequest = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: holder.name, namespace } };
        await this.event(gone, 'Normal', Cond.DatabaseResumeSucceeded, `Resumed Singlestore ${namespace}/${database}: SinglestoreOpsRequest ${namespace}/${holder.name}, which paused it, was deleted`);
        db = await this.read('singlestores', namespace, database);
      }
    }
    const pausedBy = getCondition(db?.status?.conditions, PAUSED)?.reason;
    for (const r of mine) {
      if (!this.active()) break;
      if (rank(r) === 2 && pausedBy !== pauseReason(r)) continue;
      const res = await this.reconcileRequest(namespace, nameOf(r));
      out.steps.push(...res.steps);
      out.watched.push(...res.watched);
      out.requeueAfterMs = minDelay(out.requeueAfterMs, res.requeueAfterMs);
    }
    return out;
  }

  /** Whether the request is really gone: a cache miss is confirmed with a GET (an
   *  unsynced or lagging cache must not make us resume a database still being worked on). */
  private async gone(namespace: string, name: string): Promise<boolean> {
    if (!this.o.cache?.hasSynced('singlestoreopsrequests')) return true; // it was missing from a fresh LIST
    return (await this.o.ports.opsRequests.get(namespace, name)) === undefined;
  }

  /** Fresh copies (GET) of the siblings a Pending decision rests on: those the cache
   *  shows, plus any this process started that the cache may not show yet. Deleted ones drop out. */
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
    // A cache miss is confirmed: the request was queued because an event named it.
    const first = (await this.read('singlestoreopsrequests', namespace, name)) ?? (this.o.cache ? await this.o.ports.opsRequests.get(namespace, name) : undefined);
    if (!first) return { steps, watched: [] };
    const batch = new StatusBatch(first, (base, changes) => this.writeStatus(base, changes), () => new Date(this.o.clock.now()).toISOString());
    // The pass's queued conditions are written when it ends, unless work was stopped
    // (leadership lost, stopping): then the next leader repeats those steps.
    const end = async (r: PassResult): Promise<PassResult> => {
      if (!this.active()) return r;
      try {
        await batch.flush();
        return r;
      } catch (err) {
        // The steps stand undone: the next pass plans them again (each is idempotent).
        this.o.metrics?.reconcileErrors?.inc({ kind: 'step' });
        this.log.error({ request: logText(`${namespace}/${name}`), err: logText(err instanceof Error ? err.message : String(err), MESSAGE_MAX) }, 'status write failed; will retry');
        return { steps: r.steps, requeueAfterMs: this.o.errorRequeueMs ?? 5000, watched: [] };
      }
    };
    for (let i = 0; i < max; i++) {
      if (!this.active()) return { steps, watched: [] };
      const req = batch.current;
      if (TERMINAL.has(req.status?.phase ?? '')) this.forget(req);
      const stage = currentStage(req);
      if (!stage) return end({ steps, watched: [] });
      const { obs, refs, fetched } = await this.readStage(req, stage);
      const planOpts: PlanOptions = { ...(this.o.plan ?? {}) };
      if (this.o.preflight) planOpts.preflight = this.o.preflight(fetched);
      let p = plan(obs, this.o.clock.now(), planOpts);
      if (this.o.cache && req.status?.phase === 'Pending' && p.type === 'act') {
        // Siblings came from the cache: confirm them before starting, skipping or failing.
        obs.siblings = await this.confirmSiblings(req, obs.siblings);
        p = plan(obs, this.o.clock.now(), planOpts);
      }
      if (p.type === 'done') return end({ steps, watched: [] });
      if (p.type === 'wait') {
        this.o.metrics?.reconcileSteps.inc({ step: stepLabel(p.step), result: 'wait' });
        this.log.debug?.({ request: logText(`${namespace}/${name}`), step: logText(p.step), message: logText(p.message, MESSAGE_MAX) }, 'waiting');
        const requeueAfterMs = this.o.cache ? p.requeueAfterMs : Math.min(p.requeueAfterMs, this.o.pollMs ?? 2000);
        return end({ steps, requeueAfterMs, watched: refs });
      }
      if (!this.active()) return { steps, watched: [] };
      try {
        await this.execute(obs, p, batch);
        if (p.status?.phase === 'Progressing' && req.status?.phase !== 'Progressing') this.remember(req);
        steps.push(p.step);
        this.o.onStep?.(p.step, req);
      } catch (err) {
        const retryMs = this.o.errorRequeueMs ?? 5000;
        this.o.metrics?.reconcileSteps.inc({ step: stepLabel(p.step), result: 'error' });
        if (isConflict(err)) {
          // Our copy is stale: what was queued is dropped (its steps are planned again
          // from a fresh read; each is idempotent).
          const fresh = await this.o.ports.opsRequests.get(namespace, name);
          if (!fresh) return { steps, watched: [] };
          batch.reset(fresh);
          continue;
        }
        this.o.metrics?.reconcileErrors?.inc({ kind: 'step' });
        const message = err instanceof Error ? err.message : String(err);
        if (isTooManyRequests(err)) {
          // The API server refused the eviction (a PodDisruptionBudget allows no disruption
          // now): say so on the step's condition, then retry. The condition stays False with
          // one message, so retries neither rewrite the status nor restart the step's clock.
          const said = `Cannot evict yet, the API server answered 429 (a PodDisruptionBudget forbids the disruption): ${statusMessage(err)}; retrying every ${Math.round(retryMs / 1000)}s until spec.timeout`;
          batch.add({ condition: { type: p.step, status: 'False', reason: '', message: said } });
          await batch.flush().catch((e: unknown) => {
            this.log.warn({ request: `${namespace}/${name}`, step: p.step, err: e instanceof Error ? e.message : String(e) }, 'could not record the refused eviction');
          });
          await this.event(req, 'Warning', p.step, `retrying later: ${message}`);
          return { steps, requeueAfterMs: retryMs, watched: [] };
        }
        this.log.error({ request: logText(`${namespace}/${name}`), step: logText(p.step), err: logText(message, MESSAGE_MAX) }, 'reconcile step failed; will retry');
        await this.event(req, 'Warning', p.step, `retrying later: ${message}`);
        await batch.flush().catch(() => undefined); // what earlier steps of this pass did stands
        return { steps, requeueAfterMs: retryMs, watched: [] };
      }
    }
    return end({ steps, requeueAfterMs: 0, watched: [] });
  }

  /** Reads what the request's current stage declares it reads (and nothing more). */
  private async readStage(req: SinglestoreOpsRequest, stage: Stage): Promise<{ obs: Observed; refs: ObjectRef[]; fetched: PrefetchedIssuers }> {
    const ns = namespaceOf(req);
    const dbName = req.spec?.databaseRef?.name ?? '';
    const fetched: PrefetchedIssuers = { issuers: new Map(), clusterIssuers: new Map() };
    const obs: Observed = { request: req, siblings: [], certificates: [], secrets: [], petSets: [], pods: [] };
    const starting = stage.name === Cond.ReconfigureTLS;
    const [all, database] = await Promise.all([
      starting ? this.requestsOf(ns, dbName) : Promise.resolve([] as SinglestoreOpsRequest[]),
      this.read('singlestores', ns, dbName),
    ]);
    obs.siblings = all.filter((r) => nameOf(r) !== nameOf(req));
    if (database) obs.database = database;
    if (starting) {
      // Looked up and absent stays absent for the pre-flight review (issuer-exists).
      await Promise.all(
        referencedIssuers(req).map(async (ref) => {
          if (ref.kind === 'ClusterIssuer') fetched.clusterIssuers.set(ref.name, await this.readConfirmingAbsence('clusterissuers', '', ref.name));
          else if (ref.kind === 'Issuer') fetched.issuers.set(`${ns}/${ref.name}`, await this.readConfirmingAbsence('issuers', ns, ref.name));
        }),
      );
    }
    // The stage names its refs from what it has read so far (pods need the PetSets'
    // replicas): read until no new ref appears.
    const done = new Set<string>([refKey({ kind: 'singlestores', namespace: ns, name: dbName })]);
    const refs: ObjectRef[] = [];
    for (let round = 0; round < 3; round++) {
      const wanted = stage.reads(req, obs.database, obs);
      for (const r of wanted) if (!refs.some((x) => refKey(x) === refKey(r))) refs.push(r);
      const fresh = wanted.filter((r) => !done.has(refKey(r)));
      if (fresh.length === 0) break;
      for (const r of fresh) done.add(refKey(r));
      const objs = await Promise.all(fresh.map((r) => this.read(r.kind, r.namespace, r.name)));
      fresh.forEach((r, i) => {
        const o = objs[i];
        if (!o) return;
        if (r.kind === 'certificates') obs.certificates.push(o as Certificate);
        else if (r.kind === 'petsets') obs.petSets.push(o);
        else if (r.kind === 'pods') obs.pods.push(o);
      });
    }
    if (stage.name === Cond.CertificateSynced && database && tlsOperation(req.spec?.tls) === 'remove') obs.secrets = secretNames(req, database);
    return { obs, refs, fetched };
  }

  /** Runs a plan's actions in order, then queues its status change and records its
   *  event. A phase change is written at once. Before an eviction, what earlier steps
   *  queued is written: the eviction is the one action a repeat would not undo (a
   *  replacement pod evicted again), so the uid GetPod-- recorded must be stored first.
   *  Every other action repeats harmlessly after a crash (pause, create/patch/delete,
   *  resume are idempotent), which is what a crash before the write costs. */
  async execute(obs: Observed, p: Extract<Plan, { type: 'act' }>, batch: StatusBatch): Promise<void> {
    const req = obs.request;
    const ns = namespaceOf(req);
    const started = latestTransition(req.status?.conditions);
    if (p.actions.some((a) => a.kind === 'evictPod')) await batch.flush();
    for (const a of p.actions) await this.runAction(obs, a);
    if (p.status) {
      batch.add(p.status);
      if (p.status.phase) await batch.flush();
    }
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

  /** Writes the status changes (in order, one patch); only when they change something;
   *  409 → re-read, apply them again, retry. Returns the request as the API server
   *  answered (undefined: it is gone). */
  async writeStatus(req: SinglestoreOpsRequest, changes: readonly StatusChange[]): Promise<SinglestoreOpsRequest | undefined> {
    const ns = namespaceOf(req);
    const name = nameOf(req);
    let cur: SinglestoreOpsRequest | undefined = req;
    for (let i = 0; ; i++) {
      if (!cur) return undefined;
      const nowIso = new Date(this.o.clock.now()).toISOString();
      let next = cur.status ?? {};
      for (const c of changes) next = nextStatus({ ...cur, status: next }, c, nowIso);
      if (jsonEqual(next, cur.status ?? {})) return cur;
      try {
        const written = await this.o.ports.opsRequests.patchStatus(ns, name, {
          metadata: { resourceVersion: cur.metadata?.resourceVersion },
          status: next,
        });
        this.remembered('singlestoreopsrequests', written, ns, name);
        return written;
      } catch (err) {
        if (!isConflict(err) || i >= CONFLICT_RETRIES) throw err;
        cur = await this.o.ports.opsRequests.get(ns, name);
      }
    }
  }

  /** Runs one read-decide-write attempt again on a 409 Conflict: the first attempt on
   *  the current copy (cache or our own write), each retry on a fresh GET. */
  private async onFreshCopy<K extends CachedKind>(kind: K, ns: string, name: string, attempt: (cur: CachedKinds[K] | undefined) => Promise<void>): Promise<void> {
    let cur = await this.read(kind, ns, name);
    for (let i = 0; ; i++) {
      try {
        await attempt(cur);
        return;
      } catch (err) {
        if (!isConflict(err) || i >= CONFLICT_RETRIES) throw err;
        cur = await this.fetch(kind, ns, name);
      }
    }
  }

  private async pause(ns: string, db: string, reason: string, message: string): Promise<void> {
    await this.onFreshCopy('singlestores', ns, db, async (cur) => {
      if (!cur) throw Object.assign(new Error(`Singlestore ${ns}/${db} not found`), { code: 404 });
      const conds = pausedConditions(cur, reason, message, new Date(this.o.clock.now()).toISOString());
      if (!conds) return;
      const written = await this.o.ports.databases.patchStatus(ns, db, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, status: { conditions: conds } });
      this.remembered('singlestores', written, ns, db);
    });
  }

  private async resume(ns: string, db: string, reason: string): Promise<void> {
    await this.onFreshCopy('singlestores', ns, db, async (cur) => {
      if (!cur) return;
      const conds = resumedConditions(cur, reason);
      if (!conds) return;
      const written = await this.o.ports.databases.patchStatus(ns, db, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, status: { conditions: conds } });
      this.remembered('singlestores', written, ns, db);
    });
  }

  private async markIssuing(ns: string, name: string, message: string): Promise<void> {
    await this.onFreshCopy('certificates', ns, name, async (cur) => {
      if (!cur) return;
      if (hasCondition(cur.status?.conditions, 'Issuing', 'True')) return;
      const conds = setCondition(
        cur.status?.conditions,
        { type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message, ...(cur.metadata?.generation !== undefined ? { observedGeneration: cur.metadata.generation } : {}) },
        new Date(this.o.clock.now()).toISOString(),
      );
      const written = await this.o.ports.certificates.patchStatus(ns, name, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, status: { conditions: conds } });
      this.remembered('certificates', written, ns, name);
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
          this.remembered('certificates', await p.certificates.create(ns, a.certificate), ns, nameOf(a.certificate));
        } catch (err) {
          if (!isConflict(err)) throw err; // AlreadyExists: the next plan patches it
        }
        return;
      case 'patchCertificate':
        this.remembered('certificates', await p.certificates.patch(ns, a.name, a.patch), ns, a.name);
        return;
      case 'markIssuing':
        return this.markIssuing(ns, a.name, a.message);
      case 'deleteCertificate': {
        const was = obs.certificates.find((c) => nameOf(c) === a.name);
        await p.certificates.delete(ns, a.name);
        this.remembered('certificates', undefined, ns, a.name, was?.metadata?.resourceVersion);
        return;
      }
      case 'deleteSecret':
        return p.secrets.delete(ns, a.name);
      case 'patchPetSet':
        this.remembered('petsets', await p.petSets.patch(ns, a.name, a.patch), ns, a.name);
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
        this.remembered('singlestores', await p.databases.patch(ns, db, a.patch), ns, db);
        return;
    }
  }
}
