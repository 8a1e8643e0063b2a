// Test harness for the reconciler against the in-memory ports: seeds the docs' worked
// example (test/fixtures/worked) with PetSets, pods and — for the TLS state — issued
// Certificates, builds Reconcilers the way startReconciler does, and drives one request
// to a terminal phase with the cert-manager and PetSet stand-ins and a fake clock.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ObjectMeta, PetSet, Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import { applyPatch, decide, defaultPatch } from '../../src/core/engine.js';
import { desiredCertificates, makePreflight, petSetPatch, getCondition, PAUSED, STATE_CONDITION, type PlanOptions } from '../../src/core/reconcile/index.js';
import { Reconciler, type PassResult, type ReconcilerOptions } from '../../src/controller/reconciler.js';
import type { Ports } from '../../src/kube/ports.js';
import { FakeCertManager, FakeClock, FakePetSetController, MemoryCache, MemoryStore, memoryPorts, mergePatch } from './memory-ports.js';

// From test/support (tsx, tap) or dist/test/support (compiled benchmarks).
const WORKED = [new URL('../fixtures/worked/', import.meta.url), new URL('../../../test/fixtures/worked/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(d)) ?? fileURLToPath(new URL('../fixtures/worked/', import.meta.url));

export function loadDocs(file: string): KubeObject[] {
  const text = readFileSync(file.startsWith('/') ? file : WORKED + file, 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);
}

export interface Harness {
  store: MemoryStore;
  clock: FakeClock;
  ports: Ports;
  certManager: FakeCertManager;
  petSets: FakePetSetController;
  /** The informer caches Reconcilers read from (absent: every read is a GET). */
  cache?: MemoryCache;
}

/** A harness with its informer caches (what newHarness makes). */
export type CachedHarness = Harness & { cache: MemoryCache };

export function newHarness(clock = new FakeClock()): CachedHarness {
  const store = new MemoryStore(clock);
  return { store, clock, ports: memoryPorts(store), certManager: new FakeCertManager(store), petSets: new FakePetSetController(store), cache: new MemoryCache(store) };
}

/** The two PetSets of the worked database, with the tls-volume when TLS is on. */
function petSetsFor(db: Singlestore): PetSet[] {
  const ns = db.metadata?.namespace ?? 'default';
  const name = db.metadata?.name ?? '';
  const mk = (role: 'aggregator' | 'leaf', replicas: number): PetSet => {
    const ps: PetSet = {
      apiVersion: 'apps.k8s.appscode.com/v1',
      kind: 'PetSet',
      metadata: { name: `${name}-${role}`, namespace: ns, labels: { 'app.kubernetes.io/instance': name } },
      spec: {
        replicas,
        selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/instance': name, 'kubedb.com/role': role } },
          spec: {
            containers: [
              { name: 'singlestore', image: 'ghcr.io/appscode-images/singlestore-node:alma-8.7.10', volumeMounts: [{ name: 'data', mountPath: '/var/lib/memsql' }] },
              { name: 'singlestore-coordinator', image: 'ghcr.io/kubedb/singlestore-coordinator:v0.3.0' },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    };
    const tls = db.spec?.tls;
    if (!tls) return ps;
    const patch = petSetPatch(ps, name, tls);
    return (patch ? mergePatch(ps, patch) : ps) as PetSet;
  };
  return [mk('aggregator', db.spec?.topology?.aggregator?.replicas ?? 1), mk('leaf', db.spec?.topology?.leaf?.replicas ?? 1)];
}

/** Seeds a state file (state.yaml / state-tls.yaml) with everything KubeDB would have made. */
export function seedState(h: Harness, stateFile: string, rename?: { namespace?: string; name?: string }): Singlestore {
  let db: Singlestore | undefined;
  for (const o of loadDocs(stateFile)) {
    const obj = structuredClone(o);
    if (obj.kind === 'Singlestore') {
      if (rename?.name) obj.metadata = { ...obj.metadata, name: rename.name };
      if (rename?.namespace) obj.metadata = { ...obj.metadata, namespace: rename.namespace };
      h.store.put('Singlestore', obj);
      db = h.store.get('Singlestore', obj.metadata?.namespace, obj.metadata?.name ?? '');
    } else if (obj.kind === 'Issuer') {
      if (rename?.namespace) obj.metadata = { ...obj.metadata, namespace: rename.namespace };
      h.store.put('Issuer', obj);
    } else if (obj.kind === 'ClusterIssuer') h.store.put('ClusterIssuer', obj);
  }
  if (!db) throw new Error(`${stateFile}: no Singlestore`);
  for (const ps of petSetsFor(db)) h.store.put('PetSet', ps);
  if (db.spec?.tls) for (const c of desiredCertificates(db, db.spec.tls)) h.store.put('Certificate', c);
  settle(h);
  return db;
}

/** Lets the stand-ins run until nothing changes (pods created and Ready, certs issued). */
export function settle(h: Harness, rounds = 3): void {
  for (let i = 0; i < rounds; i++) {
    h.certManager.step();
    h.petSets.step();
  }
}

/** A Restart request of the database, Progressing (another type, run by KubeDB's ops-manager). */
export function putProgressingRestart(h: Harness, namespace: string, database: string, name = 'sdbops-restart'): void {
  h.store.put('SinglestoreOpsRequest', {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name, namespace },
    spec: { type: 'Restart', databaseRef: { name: database } },
    status: { phase: 'Progressing' },
  } as never);
}

/** A stored request: the store gives every object its metadata; a request always has a name. */
export type StoredRequest = SinglestoreOpsRequest & { metadata: ObjectMeta & { name: string } };

/** Adds a worked request as the mutating webhook would have admitted it (defaults applied). */
export function addRequest(h: Harness, file: string, o: { name?: string; namespace?: string; database?: string; spec?: Record<string, unknown> } = {}): StoredRequest {
  const [raw] = loadDocs(file);
  let req = structuredClone(raw) as SinglestoreOpsRequest;
  req = applyPatch(req, defaultPatch(req)) as SinglestoreOpsRequest;
  req.metadata = { ...req.metadata, ...(o.name ? { name: o.name } : {}), ...(o.namespace ? { namespace: o.namespace } : {}) };
  if (o.database) req.spec = { ...req.spec, databaseRef: { name: o.database } };
  if (o.spec) req.spec = { ...req.spec, ...o.spec };
  h.store.put('SinglestoreOpsRequest', req);
  const stored = h.store.get('SinglestoreOpsRequest', req.metadata.namespace, req.metadata.name ?? '');
  const name = stored?.metadata?.name;
  if (!stored || name === undefined) throw new Error(`${file}: the request was not stored under a name`);
  return { ...stored, metadata: { ...stored.metadata, name } };
}

export const FAST_PLAN: PlanOptions = { notReadyRequeueMs: 10_000 };

/** How long a watch event takes to wake a waiting database in these tests (fake time). */
export const WAKE_MS = 1000;

/**
 * A Reconciler whose passes begin once the cache has delivered every change made before
 * them, as in production, where the queue runs a database after the watch event that
 * named it reached the cache. (A frozen cache still lags: see MemoryCache.freeze.)
 */
class SettledReconciler extends Reconciler {
  constructor(
    private readonly cache: MemoryCache | undefined,
    o: ReconcilerOptions,
  ) {
    super(o);
  }

  override async reconcileDatabase(namespace: string, database: string): Promise<PassResult> {
    await this.cache?.settled();
    return super.reconcileDatabase(namespace, database);
  }

  override async reconcileRequest(namespace: string, name: string): Promise<PassResult> {
    await this.cache?.settled();
    return super.reconcileRequest(namespace, name);
  }
}

export function makeReconciler(h: Harness, extra: Partial<ReconcilerOptions> = {}): Reconciler {
  return new SettledReconciler(h.cache, {
    ports: h.ports,
    ...(h.cache ? { cache: h.cache } : {}),
    clock: h.clock,
    pollMs: WAKE_MS,
    preflight: (fetched) => makePreflight({ decide, fetched }),
    plan: FAST_PLAN,
    errorRequeueMs: 1000,
    ...extra,
  });
}

export function getRequest(h: Harness, ns: string, name: string): SinglestoreOpsRequest | undefined {
  return h.store.get('SinglestoreOpsRequest', ns, name);
}

/** The stored database (a test whose database is gone fails here). */
export function getDatabase(h: Harness, ns: string, name: string): Singlestore {
  const db = h.store.get('Singlestore', ns, name);
  if (!db) throw new Error(`no Singlestore ${ns}/${name}`);
  return db;
}

export function isPaused(h: Harness, ns: string, db: string): boolean {
  return getCondition(h.store.get('Singlestore', ns, db)?.status?.conditions, PAUSED) !== undefined;
}

const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);

export interface DriveOptions {
  maxRounds?: number;
  /** Run the cert-manager / PetSet stand-ins between passes (default true). */
  standIns?: boolean;
  /** Called after every pass (e.g. to inject trouble). */
  afterPass?: (round: number) => void;
}

/** One pass over the database with the cache caught up first; the stand-ins run after it.
 *  Returns the pass and whether anything changed in the store meanwhile. */
export async function pass(h: Harness, rec: Reconciler, ns: string, db: string, o: DriveOptions = {}, round = 0): Promise<{ res: PassResult; changed: boolean }> {
  await h.cache?.settled();
  const before = h.store.version;
  const res = await rec.reconcileDatabase(ns, db);
  const seen = h.cache?.delivered ?? 0;
  o.afterPass?.(round);
  if (o.standIns !== false) {
    h.certManager.step();
    h.petSets.step();
  }
  // A change in the store, or a lagging cache delivering old ones, is a watch event.
  return { res, changed: h.store.version !== before || (h.cache?.delivered ?? 0) !== seen };
}

/** Moves the fake clock as a watch-driven controller experiences it: when something
 *  changed, a watch event wakes it after WAKE_MS (or sooner, if it asked); when nothing
 *  did, only its own timer does (the remaining spec.timeout, the Pending requeue). */
export function advance(h: Harness, res: PassResult, changed: boolean): void {
  const timer = res.requeueAfterMs ?? WAKE_MS;
  h.clock.advance(Math.max(changed ? Math.min(timer, WAKE_MS) : timer, 1));
}

/** Runs passes over the database until the request is terminal and the database resumed. */
export async function drive(h: Harness, rec: Reconciler, ns: string, db: string, reqName: string, o: DriveOptions = {}): Promise<SinglestoreOpsRequest> {
  const max = o.maxRounds ?? 500;
  for (let i = 0; i < max; i++) {
    const { res, changed } = await pass(h, rec, ns, db, o, i);
    const r = getRequest(h, ns, reqName);
    if (r && TERMINAL.has(r.status?.phase ?? '') && !isPaused(h, ns, db) && res.requeueAfterMs === undefined) return r;
    advance(h, res, changed);
  }
  throw new Error(`request ${ns}/${reqName} did not finish in ${max} rounds: ${JSON.stringify(getRequest(h, ns, reqName)?.status)}`);
}

/** The step conditions of a request, in order (the ReconcilerState condition is data, not a step). */
export function conditionTypes(r: SinglestoreOpsRequest | undefined): string[] {
  return (r?.status?.conditions ?? []).map((c) => c.type).filter((t) => t !== STATE_CONDITION);
}
