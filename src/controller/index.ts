// The reconciler's composition: leader election → (when leading) watch events → the
// databases they concern → per-database serial queue → Reconciler passes.
// `startReconciler` is what main calls.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, SinglestoreOpsRequest } from '../api/types.js';
import { decide } from '../core/engine.js';
import type { EngineOptions } from '../core/engine.js';
import type { Policy } from '../core/policy.js';
import { makePreflight, type PlanOptions } from '../core/reconcile/index.js';
import type { ClusterView } from '../core/view.js';
import { clientPorts, clientOpsSource } from '../kube/client-ports.js';
import { systemClock, type Clock, type OpsRequestSource, type Ports, type Timer } from '../kube/ports.js';
import { LeaderElector } from './leader.js';
import { KeyedQueue } from './queue.js';
import { Reconciler } from './reconciler.js';
import { silentLogger, type CachedKind, type Logger, type ReconcileCache, type ReconcileMetrics } from './types.js';
import { refKey, type ObjectRef } from '../core/reconcile/index.js';
import { boundText, LOG_FIELD_MAX, MESSAGE_MAX } from '../core/field/quote.js';
import { namespaceOf } from '../core/meta.js';

export { Reconciler } from './reconciler.js';
export { LeaderElector } from './leader.js';
export { KeyedQueue } from './queue.js';
export type { Logger, ReconcileMetrics } from './types.js';

export const DEFAULT_LEASE_NAME = 'sdb-tls-guard-reconciler';

export interface ReconcilerDeps {
  /** Builds the client-node ports and the ops-request watch (unless ports/source given). */
  kubeConfig?: KubeConfig;
  ports?: Ports;
  /** Lists the ops requests when leadership starts (ADDED for each) and streams their events. */
  source?: OpsRequestSource;
  /** What the stages read, and the watch events that wake a waiting database (the
   *  informer caches in production). Without it every read is a GET and only ops-request
   *  events and the resync wake a database. */
  cache?: ReconcileCache;
  logger?: Logger;
  metrics?: ReconcileMetrics;
  /** Namespace of the Lease (the pod's own namespace). */
  namespace: string;
  /** This replica's identity in the Lease (pod name, or hostname_pid). */
  identity: string;
  /** Informer-backed ClusterView: the pre-flight review reads it. */
  view?: ClusterView;
  policy?: Policy;
  engineOptions?: EngineOptions;
  /** Time and timers for the passes, the queue, the resync and the Lease (default the system's). */
  clock?: Clock;
  /** Databases worked on in parallel (default 4). */
  concurrency?: number;
  leaseName?: string;
  /** false: act without a Lease (single replica, tests). */
  leaderElection?: false | { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Every known database is re-queued this often: a safety net only, watch events wake
   *  a waiting database (default 5 min). */
  resyncMs?: number;
  plan?: PlanOptions;
  errorRequeueMs?: number;
  /** Without a cache: how often a waiting stage is polled (default 2s). */
  pollMs?: number;
}

export interface RunningReconciler {
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Resolves when no database is being worked on or ready to be (timers aside). */
  idle(): Promise<void>;
}

export const DEFAULT_RESYNC_MS = 5 * 60_000;

function dbKey(r: SinglestoreOpsRequest): string | undefined {
  const db = r.spec?.databaseRef?.name;
  if (!db || r.spec?.type !== 'ReconfigureTLS') return undefined;
  return `${namespaceOf(r)}/${db}`;
}

export function startReconciler(deps: ReconcilerDeps): RunningReconciler {
  const log = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  let ports = deps.ports;
  let source = deps.source;
  if (!ports || !source) {
    if (!deps.kubeConfig) throw new Error('startReconciler needs a kubeConfig, or ports and a source');
    ports ??= clientPorts(deps.kubeConfig, clock);
    source ??= clientOpsSource(deps.kubeConfig, log);
  }
  const thePorts = ports;
  const theSource = source;

  let leading = false;
  let queue: KeyedQueue | undefined;
  let resync: Timer | undefined;
  let unsubscribe: (() => void) | undefined;
  const known = new Set<string>();
  let generation = 0;

  const reconciler = new Reconciler({
    ports: thePorts,
    ...(deps.cache ? { cache: deps.cache } : {}),
    clock,
    logger: log,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    preflight: (fetched) =>
      makePreflight({
        decide,
        ...(deps.view ? { base: deps.view } : {}),
        ...(deps.policy ? { policy: deps.policy } : {}),
        ...(deps.engineOptions ? { engineOptions: deps.engineOptions } : {}),
        fetched,
      }),
    ...(deps.plan ? { plan: deps.plan } : {}),
    ...(deps.errorRequeueMs !== undefined ? { errorRequeueMs: deps.errorRequeueMs } : {}),
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    active: () => leading,
  });

  deps.metrics?.leader?.set(0);
  const begin = (): void => {
    leading = true;
    deps.metrics?.leader?.set(1);
    const mine = ++generation;
    const watches = new WatchIndex();
    const q = new KeyedQueue(
      async (key) => {
        const i = key.indexOf('/');
        const res = await reconciler.reconcileDatabase(key.slice(0, i), key.slice(i + 1));
        watches.set(key, res.watched);
        return res.requeueAfterMs;
      },
      {
        concurrency: deps.concurrency ?? 4,
        clock,
        errorDelayMs: deps.errorRequeueMs ?? 5000,
        onError: (key, err) => {
          deps.metrics?.reconcileErrors?.inc({ kind: 'pass' });
          log.error({ database: boundText(key, LOG_FIELD_MAX), err: boundText(err instanceof Error ? err.message : String(err), MESSAGE_MAX) }, 'reconcile pass failed');
        },
      },
    );
    queue = q;
    const onCache = (kind: CachedKind, obj: KubeObject): void => {
      if (!leading || mine !== generation) return;
      reconciler.cacheChanged(kind, obj);
      // No stage waits on an issuer (the start reads it again on every pass): nothing to wake.
      if (kind === 'issuers' || kind === 'clusterissuers') return;
      if (kind === 'singlestoreopsrequests') {
        const key = dbKey(obj);
        if (key) {
          known.add(key);
          q.add(key);
        }
        return;
      }
      const ns = namespaceOf(obj);
      const name = obj.metadata?.name ?? '';
      // A Singlestore wakes its own key; any watched object wakes the databases waiting on it.
      if (kind === 'singlestores' && known.has(`${ns}/${name}`)) q.add(`${ns}/${name}`);
      for (const key of watches.waiting({ kind, namespace: ns, name })) q.add(key);
    };
    unsubscribe = deps.cache?.subscribe((kind, _type, obj) => onCache(kind, obj));
    theSource
      .start((_type, obj) => {
        if (!leading || mine !== generation) return;
        const key = dbKey(obj);
        if (!key) return;
        known.add(key);
        q.add(key);
      })
      .catch((err: unknown) => log.error({ err: boundText(err instanceof Error ? err.message : String(err), MESSAGE_MAX) }, 'ops request watch failed to start'));
    // The safety net: a timeout on the clock, set again each time it fires.
    const resyncMs = deps.resyncMs ?? DEFAULT_RESYNC_MS;
    const armResync = (): void => {
      resync = clock.setTimeout(() => {
        for (const k of known) q.add(k);
        armResync();
      }, resyncMs);
    };
    armResync();
    log.info({ identity: deps.identity }, 'reconciler started');
  };

  let ending: Promise<void> = Promise.resolve();
  const end = (): Promise<void> => {
    if (!leading && !queue) return ending;
    leading = false;
    deps.metrics?.leader?.set(0);
    generation++;
    resync?.cancel();
    resync = undefined;
    unsubscribe?.();
    unsubscribe = undefined;
    const q = queue;
    queue = undefined;
    ending = (async () => {
      await theSource.stop().catch(() => undefined);
      await q?.stop();
      log.info({ identity: deps.identity }, 'reconciler stopped');
    })();
    return ending;
  };

  let elector: LeaderElector | undefined;
  if (deps.leaderElection === false) {
    begin();
  } else {
    const le = deps.leaderElection ?? {};
    elector = new LeaderElector({
      leases: thePorts.leases,
      namespace: deps.namespace,
      name: deps.leaseName ?? DEFAULT_LEASE_NAME,
      identity: deps.identity,
      clock,
      ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
      onStartedLeading: begin,
      onStoppedLeading: () => void end(),
      logger: log,
    });
    elector.start();
  }

  return {
    async stop() {
      await elector?.stop();
      await end();
    },
    isLeader: () => leading,
    idle: () => queue?.idle() ?? Promise.resolve(),
  };
}

/** Which databases wait on which object: a pass that ends waiting records the refs its
 *  stages read; a cache event on one of them wakes those databases (and only those). */
export class WatchIndex {
  private readonly byRef = new Map<string, Set<string>>();
  private readonly byKey = new Map<string, string[]>();

  /** Replaces what `key` waits on (empty: nothing). */
  set(key: string, refs: readonly ObjectRef[]): void {
    for (const r of this.byKey.get(key) ?? []) {
      const keys = this.byRef.get(r);
      keys?.delete(key);
      if (keys?.size === 0) this.byRef.delete(r);
    }
    const rs = [...new Set(refs.map(refKey))];
    if (rs.length === 0) {
      this.byKey.delete(key);
      return;
    }
    this.byKey.set(key, rs);
    for (const r of rs) {
      let keys = this.byRef.get(r);
      if (!keys) this.byRef.set(r, (keys = new Set()));
      keys.add(key);
    }
  }

  waiting(ref: ObjectRef): string[] {
    return [...(this.byRef.get(refKey(ref)) ?? [])];
  }

  get size(): number {
    return this.byRef.size;
  }
}

/** The Lease identity: the pod's name when given (POD_NAME via the downward API), else
 *  `<hostname>_<pid>`. main passes the values in; this reads no environment itself. */
export function reconcilerIdentity(podName: string | undefined, hostname: string, pid: number): string {
  return podName && podName.trim() !== '' ? podName.trim() : `${hostname}_${pid}`;
}

/** The bits of the shared informer caches (src/kube/informer-view.ts) a watch needs. */
export interface OpsRequestCache {
  subscribe(listener: (resource: string, type: 'add' | 'update' | 'delete', obj: KubeObject) => void): () => void;
  list(resource: 'singlestoreopsrequests'): KubeObject[];
}

/** An OpsRequestSource over the informer caches the webhook already keeps (no second watch). */
export function cacheOpsSource(cache: OpsRequestCache): OpsRequestSource {
  let off: (() => void) | undefined;
  const TYPES = { add: 'ADDED', update: 'MODIFIED', delete: 'DELETED' } as const;
  return {
    start(onEvent) {
      try {
        off?.();
        off = cache.subscribe((resource, type, obj) => {
          if (resource === 'singlestoreopsrequests') onEvent(TYPES[type], obj);
        });
        for (const o of cache.list('singlestoreopsrequests')) onEvent('ADDED', o);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err))); // a rejection, as before
      }
    },
    stop() {
      off?.();
      off = undefined;
      return Promise.resolve();
    },
  };
}
