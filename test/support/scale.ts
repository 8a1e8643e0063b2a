// Bench-friendly scale run: N worked "add TLS" requests on N databases carried out by the
// real startReconciler (queue, watch, executors) over the in-memory ports, with the
// cert-manager and PetSet stand-ins running on a timer. Returns wall time and API calls.
//   import { runScale } from '../test/support/scale.js';
//   const r = await runScale({ databases: 100, concurrency: 8 });
import type { SinglestoreOpsRequest } from '../../src/api/types.js';
import { startReconciler } from '../../src/controller/index.js';
import type { ReconcileMetrics } from '../../src/controller/types.js';
import { systemClock } from '../../src/kube/ports.js';
import { FakeCertManager, FakePetSetController, MemoryCache, MemoryStore, memoryOpsSource, memoryPorts } from './memory-ports.js';
import { addRequest, seedState, type Harness } from './reconcile-harness.js';

export interface ScaleOptions {
  databases: number;
  /** Databases worked on in parallel (default 8). */
  concurrency?: number;
  /** Worked request to run on each database (default add-tls.yaml on state.yaml). */
  request?: 'add-tls.yaml' | 'rotate.yaml' | 'update.yaml' | 'change-issuer.yaml' | 'remove.yaml';
  /** Give up after this long (default 60s). */
  timeoutMs?: number;
  /** Stand-in tick (default 2ms). */
  standInTickMs?: number;
  /** Give the reconciler the informer caches, as main does (default true); false: every
   *  read is a GET, the namespace is LISTed on every pass and waits are polled. */
  cache?: boolean;
  /** Cache delivery lag (ms of real time; default 0: a microtask after the change). */
  cacheLagMs?: number;
  /** Safety-net resync (default 500ms, so a lost wake-up shows as slowness, not a hang). */
  resyncMs?: number;
}

export interface ScaleResult {
  databases: number;
  successful: number;
  failed: number;
  wallMs: number;
  apiCalls: number;
  callsByOp: Record<string, number>;
  steps: number;
}

export async function runScale(o: ScaleOptions): Promise<ScaleResult> {
  const store = new MemoryStore(systemClock);
  const h: Harness = {
    store,
    clock: undefined as never,
    ports: memoryPorts(store),
    certManager: new FakeCertManager(store),
    petSets: new FakePetSetController(store),
  };
  const file = o.request ?? 'add-tls.yaml';
  const state = file === 'add-tls.yaml' ? 'state.yaml' : 'state-tls.yaml';
  const ns = 'bench';
  const names: string[] = [];
  for (let i = 0; i < o.databases; i++) {
    const db = `sdb-${i}`;
    seedState(h, state, { namespace: ns, name: db });
    const r = addRequest(h, file, { namespace: ns, name: `sdbops-${i}`, database: db });
    names.push(r.metadata.name);
  }
  const cache = o.cache === false ? undefined : new MemoryCache(store, { lagMs: o.cacheLagMs ?? 0 });
  store.calls.clear();
  let steps = 0;
  const metrics: ReconcileMetrics = {
    reconcileSteps: {
      inc: (l) => {
        if (l.result === 'success' || l.result === 'failed') steps++;
      },
    },
    reconcileStepDuration: { observe: () => undefined },
  };
  const tick = setInterval(() => {
    h.certManager.step();
    h.petSets.step();
  }, o.standInTickMs ?? 2);
  const started = performance.now();
  const running = startReconciler({
    ports: h.ports,
    ...(cache ? { cache, view: cache } : {}),
    source: memoryOpsSource(store),
    namespace: ns,
    identity: 'scale',
    leaderElection: false,
    concurrency: o.concurrency ?? 8,
    metrics,
    plan: { notReadyRequeueMs: 2 },
    pollMs: 2,
    errorRequeueMs: 5,
    resyncMs: o.resyncMs ?? 500,
  });
  const deadline = started + (o.timeoutMs ?? 60_000);
  const terminal = (): SinglestoreOpsRequest[] =>
    store.list<SinglestoreOpsRequest>('SinglestoreOpsRequest', ns).filter((r) => ['Successful', 'Failed', 'Skipped'].includes(r.status?.phase ?? ''));
  try {
    while (terminal().length < names.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await running.stop();
    clearInterval(tick);
    cache?.close();
  }
  const wallMs = performance.now() - started;
  const done = terminal();
  return {
    databases: o.databases,
    successful: done.filter((r) => r.status?.phase === 'Successful').length,
    failed: done.filter((r) => r.status?.phase === 'Failed').length,
    wallMs,
    apiCalls: store.totalCalls(),
    callsByOp: Object.fromEntries([...store.calls.entries()].sort()),
    steps,
  };
}
