// The reconciler scale figure: 200 add-TLS requests on 200 databases (2 aggregators and
// 1 leaf each) carried out through the in-memory ports, reading from the in-memory
// informer caches (MemoryCache: reads there are not API calls), with the test stand-ins
// for cert-manager and the PetSet controller, a fake clock, and the reconciler's default
// concurrency of 4 databases at a time. Run as a child of bench/run.ts (so its peak RSS
// is its own); prints one JSON line and sends it over IPC.
import { decide } from '../src/core/engine.js';
import { makePreflight } from '../src/core/reconcile/index.js';
import { Reconciler } from '../src/controller/reconciler.js';
import type { KubeObject } from '../src/api/types.js';
import { FakeCertManager, FakeClock, FakePetSetController, MemoryCache, MemoryStore, memoryPorts } from '../test/support/memory-ports.js';
import { runScale as runStartReconcilerScale, type ScaleResult as QueueScaleResult } from '../test/support/scale.js';

export interface ScaleResult {
  databases: number;
  requests: number;
  successful: number;
  failed: number;
  other: number;
  rounds: number;
  wallMs: number;
  apiCalls: number;
  apiCallsPerRequest: number;
  topCalls: Record<string, number>;
  /** Every call, by port and verb. */
  callsByOp: Record<string, number>;
  evictions: number;
  pausedAtEnd: number;
  maxRSSKiB: number;
  heapUsedMiB: number;
}

const NAMESPACES = 10;

function seed(store: MemoryStore, n: number): { ns: string; db: string; req: string }[] {
  const out: { ns: string; db: string; req: string }[] = [];
  for (let k = 0; k < NAMESPACES; k++) {
    const ns = `scale-${k}`;
    store.put('Issuer', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'sdb-issuer', namespace: ns },
      spec: { ca: { secretName: 'sdb-ca' } },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyPairVerified' }] },
    } as KubeObject);
  }
  for (let i = 0; i < n; i++) {
    const ns = `scale-${i % NAMESPACES}`;
    const db = `sdb-${i}`;
    store.put('Singlestore', {
      apiVersion: 'kubedb.com/v1alpha2',
      kind: 'Singlestore',
      metadata: { name: db, namespace: ns },
      spec: { version: '8.7.10', topology: { aggregator: { replicas: 2 }, leaf: { replicas: 1 } }, deletionPolicy: 'WipeOut' },
      status: { phase: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: '2026-11-27T00:00:00Z' }] },
    } as KubeObject);
    for (const [role, replicas] of [['aggregator', 2], ['leaf', 1]] as const) {
      const ps = `${db}-${role}`;
      store.put('PetSet', {
        apiVersion: 'apps.k8s.appscode.com/v1',
        kind: 'PetSet',
        metadata: { name: ps, namespace: ns, generation: 1 },
        spec: {
          replicas,
          template: {
            metadata: { labels: { 'app.kubernetes.io/instance': db, 'kubedb.com/role': role } },
            spec: {
              containers: [{ name: 'singlestore', volumeMounts: [{ name: 'data', mountPath: '/var/lib/memsql' }] }, { name: 'exporter' }],
              volumes: [{ name: 'data', emptyDir: {} }],
            },
          },
        },
        status: { observedGeneration: 1, replicas },
      } as KubeObject);
      for (let j = 0; j < replicas; j++) {
        store.put('Pod', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${ps}-${j}`, namespace: ns },
          status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
        } as KubeObject);
      }
    }
    const req = `${db}-add-tls`;
    store.put('SinglestoreOpsRequest', {
      apiVersion: 'ops.kubedb.com/v1alpha1',
      kind: 'SinglestoreOpsRequest',
      metadata: { name: req, namespace: ns },
      spec: {
        type: 'ReconfigureTLS',
        databaseRef: { name: db },
        apply: 'IfReady',
        timeout: '10m',
        tls: {
          issuerRef: { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' },
          certificates: [{ alias: 'client', subject: { organizations: ['singlestore'], organizationalUnits: ['client'] } }],
        },
      },
    } as KubeObject);
    out.push({ ns, db, req });
  }
  return out;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const t = items[next++] as T;
      await fn(t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export async function runScale(n = 200, concurrency = 4, maxRounds = 500): Promise<ScaleResult> {
  const clock = new FakeClock();
  const store = new MemoryStore(clock);
  const targets = seed(store, n);
  const ports = memoryPorts(store);
  const certs = new FakeCertManager(store);
  const petsets = new FakePetSetController(store);
  const cache = new MemoryCache(store);
  const reconciler = new Reconciler({
    ports,
    cache,
    clock,
    preflight: (fetched) => makePreflight({ decide, base: cache, fetched }),
  });
  const phase = (t: { ns: string; req: string }): string => store.get('SinglestoreOpsRequest', t.ns, t.req)?.status?.phase ?? '';
  const finished = (p: string): boolean => p === 'Successful' || p === 'Failed' || p === 'Skipped';

  const t0 = process.hrtime.bigint();
  let rounds = 0;
  let open = targets;
  while (open.length > 0 && rounds < maxRounds) {
    rounds++;
    await cache.settled(); // a pass starts after the watch delivered, as the queue runs it
    await pool(open, concurrency, (t) => reconciler.reconcileDatabase(t.ns, t.db));
    certs.step();
    petsets.step();
    clock.advance(5_000);
    open = open.filter((t) => !finished(phase(t)));
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const phases = targets.map(phase);
  const apiCalls = store.totalCalls();
  const top = [...store.calls.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  let pausedAtEnd = 0;
  for (const t of targets) {
    const db = store.get('Singlestore', t.ns, t.db);
    if (db?.status?.conditions?.some((c) => c.type === 'Paused' && c.status !== 'False')) pausedAtEnd++;
  }
  return {
    databases: n,
    requests: targets.length,
    successful: phases.filter((p) => p === 'Successful').length,
    failed: phases.filter((p) => p === 'Failed').length,
    other: phases.filter((p) => p !== 'Successful' && p !== 'Failed').length,
    rounds,
    wallMs,
    apiCalls,
    apiCallsPerRequest: apiCalls / targets.length,
    topCalls: Object.fromEntries(top),
    callsByOp: Object.fromEntries([...store.calls.entries()].sort()),
    evictions: store.evictions.length,
    pausedAtEnd,
    maxRSSKiB: process.resourceUsage().maxRSS,
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

/**
 * How often the cert-manager and PetSet stand-ins run. Each tick clones every
 * Certificate, PetSet and Pod of the in-memory store; at runScale's default of 2 ms that
 * cloning took 75% of the CPU (profiled), so the wall time measured the stand-ins
 * rather than the reconciler. 20 ms is still far faster than the real controllers.
 */
const STAND_IN_TICK_MS = 20;

export interface QueueScale extends QueueScaleResult {
  maxRSSKiB: number;
  heapUsedMiB: number;
  apiCallsPerRequest: number;
}

/**
 * The same figure through the reconciler helper's runScale (test/support/scale.ts): the
 * real startReconciler — keyed queue, watch, executors — on real timers, the stand-ins
 * ticking every STAND_IN_TICK_MS (20 ms), concurrency 4 (startReconciler's default).
 */
export async function runQueueScale(n = 200): Promise<QueueScale> {
  const r = await runStartReconcilerScale({ databases: n, concurrency: 4, timeoutMs: 180_000, standInTickMs: STAND_IN_TICK_MS });
  return { ...r, apiCallsPerRequest: r.apiCalls / n, maxRSSKiB: process.resourceUsage().maxRSS, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 };
}

// Run directly (as the bench's child): print and send the result. BENCH_SCALE_MODE
// picks the driver: "passes" (runScale above) or "queue" (runQueueScale).
if (process.argv[1] && /reconcile-scale\.(js|ts)$/.test(process.argv[1])) {
  const n = Number(process.env['BENCH_SCALE_N'] ?? 200);
  const mode = process.env['BENCH_SCALE_MODE'] === 'queue' ? 'queue' : 'passes';
  (mode === 'queue' ? runQueueScale(n) : runScale(n))
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (process.send) process.send({ type: 'scale', mode, result: r }, () => process.exit(0));
    })
    .catch((err: unknown) => {
      process.stderr.write(`reconcile-scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
