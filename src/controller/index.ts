// The reconciler's composition: leader election → (when leading) watch ops requests →
// per-database serial queue → Reconciler passes. `startReconciler` is what main calls.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, SinglestoreOpsRequest } from '../api/types.js';
import { decide } from '../core/engine.js';
import type { EngineOptions } from '../core/engine.js';
import type { Policy } from '../core/policy.js';
import { makePreflight, type PlanOptions } from '../core/reconcile/index.js';
import type { ClusterView } from '../core/view.js';
import { clientPorts, clientOpsSource } from '../kube/client-ports.js';
import { systemClock, type Clock, type OpsRequestSource, type Ports } from '../kube/ports.js';
import { LeaderElector } from './leader.js';
import { KeyedQueue } from './queue.js';
import { Reconciler } from './reconciler.js';
import { silentLogger, type Logger, type ReconcileCache, type ReconcileMetrics } from './types.js';
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
  source?: OpsRequestSource;
  logger?: Logger;
  metrics?: ReconcileMetrics;
  /** Namespace of the Lease (the pod's own namespace). */
  namespace: string;
  /** This replica's identity in the Lease (pod name, or hostname_pid). */
  identity: string;
  /** Informer-backed ClusterView: the pre-flight review reads it, and the reconciler
   *  takes a database's ops requests from it instead of LISTing the namespace. */
  view?: ClusterView;
  /** What the reconciler reads without an API call (the informer caches). */
  cache?: ReconcileCache;
  policy?: Policy;
  engineOptions?: EngineOptions;
  clock?: Clock;
  /** Databases worked on in parallel (default 4). */
  concurrency?: number;
  leaseName?: string;
  /** false: act without a Lease (single replica, tests). */
  leaderElection?: false | { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Every known database is re-queued this often (default 30s). */
  resyncMs?: number;
  plan?: PlanOptions;
  errorRequeueMs?: number;
}

export interface RunningReconciler {
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Resolves when no database is being worked on or ready to be (timers aside). */
  idle(): Promise<void>;
}

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
    ports ??= clientPorts(deps.kubeConfig);
    source ??= clientOpsSource(deps.kubeConfig, log);
  }
  const thePorts = ports;
  const theSource = source;

  let leading = false;
  let queue: KeyedQueue | undefined;
  let resync: ReturnType<typeof setInterval> | undefined;
  const known = new Set<string>();
  let generation = 0;

  const reconciler = new Reconciler({
    ports: thePorts,
    // The informer cache answers "which requests does this database have" (no LIST).
    ...(deps.view ? { view: deps.view } : {}),
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
    active: () => leading,
  });

  deps.metrics?.leader?.set(0);
  const begin = (): void => {
    leading = true;
    deps.metrics?.leader?.set(1);
    const mine = ++generation;
    const q = new KeyedQueue(
      async (key) => {
        const i = key.indexOf('/');
        const res = await reconciler.reconcileDatabase(key.slice(0, i), key.slice(i + 1));
        return res.requeueAfterMs;
      },
      {
        concurrency: deps.concurrency ?? 4,
        errorDelayMs: deps.errorRequeueMs ?? 5000,
        onError: (key, err) => {
          deps.metrics?.reconcileErrors?.inc({ kind: 'pass' });
          log.error({ database: boundText(key, LOG_FIELD_MAX), err: boundText(err instanceof Error ? err.message : String(err), MESSAGE_MAX) }, 'reconcile pass failed');
        },
      },
    );
    queue = q;
    theSource
      .start((type, obj) => {
        if (!leading || mine !== generation) return;
        const key = dbKey(obj);
        if (!key) return;
        known.add(key);
        q.add(key);
        void type;
      })
      .catch((err: unknown) => log.error({ err: boundText(err instanceof Error ? err.message : String(err), MESSAGE_MAX) }, 'ops request watch failed to start'));
    resync = setInterval(() => {
      for (const k of known) q.add(k);
    }, deps.resyncMs ?? 30_000);
    log.info({ identity: deps.identity }, 'reconciler started');
  };

  let ending: Promise<void> = Promise.resolve();
  const end = (): Promise<void> => {
    if (!leading && !queue) return ending;
    leading = false;
    deps.metrics?.leader?.set(0);
    generation++;
    if (resync) clearInterval(resync);
    resync = undefined;
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
    async start(onEvent) {
      off?.();
      off = cache.subscribe((resource, type, obj) => {
        if (resource === 'singlestoreopsrequests') onEvent(TYPES[type], obj as SinglestoreOpsRequest);
      });
      for (const o of cache.list('singlestoreopsrequests')) onEvent('ADDED', o as SinglestoreOpsRequest);
    },
    async stop() {
      off?.();
      off = undefined;
    },
  };
}
