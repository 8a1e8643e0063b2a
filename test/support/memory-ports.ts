// In-memory implementations of src/kube/ports.ts for tests and benchmarks, over one
// shared store (so a "restarted" controller sees what the last one left), with a fake
// clock, call counters and fault injection. Also two TEST STAND-INS for controllers the
// real cluster runs and this project does not:
//   - FakeCertManager: issues Certificates (writes the Secret, bumps status.revision,
//     marks Ready for the current generation, clears Issuing);
//   - FakePetSetController: observes PetSet generations and recreates missing pods from
//     the pod template with a new uid, Ready one tick later.
// They are deliberately simple; they exist so the reconciler can be run end to end.
import { randomUUID } from 'node:crypto';
import type {
  Certificate,
  Condition,
  Issuer,
  KubeObject,
  PetSet,
  Pod,
  Singlestore,
  SinglestoreOpsRequest,
} from '../../src/api/types.js';
import type { ClusterView } from '../../src/core/view.js';
import type { CachedKind, CachedKinds, ReconcileCache } from '../../src/controller/types.js';
import {
  StatusError,
  type Clock,
  type Lease,
  type Timer,
  type MergePatch,
  type OpsRequestSource,
  type Ports,
  type WatchEventType,
} from '../../src/kube/ports.js';

/** Time that moves only when told to, and timers that fire only as it moves. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  constructor(public t = Date.parse('2026-11-28T00:00:00Z')) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const entry = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(entry);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== entry)) };
  }
  /** Moves time on by ms; each timer due on the way fires at its own time, earliest
   *  first (one set by a callback fires too, if it falls due before the end). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }
  iso(): string {
    return new Date(this.t).toISOString();
  }
}

/** What the store holds, by kind (a Secret is only ever deleted, never read). */
interface StoredKinds {
  Singlestore: Singlestore;
  SinglestoreOpsRequest: SinglestoreOpsRequest;
  Certificate: Certificate;
  Secret: KubeObject;
  PetSet: PetSet;
  Pod: Pod;
  Issuer: Issuer;
  ClusterIssuer: Issuer;
  Lease: Lease;
}
type Kind = keyof StoredKinds;

export interface StoredEvent {
  object: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  time: number;
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

interface Obj extends KubeObject {
  spec?: unknown;
  status?: unknown;
  [k: string]: unknown;
}

export class MemoryStore {
  readonly objects = new Map<Kind, Map<string, Obj>>();
  readonly calls = new Map<string, number>();
  readonly events: StoredEvent[] = [];
  readonly evictions: string[] = [];
  /** Pods whose eviction a PodDisruptionBudget refuses (429) until removed. */
  readonly pdbBlocked = new Set<string>();
  private faults: { op: string; code: number; times: number }[] = [];
  private listeners: ((kind: Kind, type: WatchEventType, obj: Obj) => void)[] = [];
  private rv = 1;

  constructor(readonly clock: Clock = new FakeClock()) {}

  /** The next `times` calls of `op` (e.g. "opsRequests.patchStatus") fail with `code`. */
  failNext(op: string, code: number, times = 1): void {
    this.faults.push({ op, code, times });
  }

  /** Injected faults not yet triggered. */
  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.times, 0);
  }

  /** Bumped by every change (the store's last resourceVersion). */
  get version(): number {
    return this.rv;
  }

  totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  onChange(fn: (kind: Kind, type: WatchEventType, obj: Obj) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** Counts the call and throws an injected fault if one is due. */
  call(op: string): void {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const f = this.faults.find((x) => x.op === op && x.times > 0);
    if (f) {
      f.times--;
      throw new StatusError(f.code, `injected ${f.code} on ${op}`);
    }
  }

  private map(kind: Kind): Map<string, Obj> {
    let m = this.objects.get(kind);
    if (!m) this.objects.set(kind, (m = new Map<string, Obj>()));
    return m;
  }

  private key(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name}`;
  }

  get<K extends Kind>(kind: K, ns: string | undefined, name: string): StoredKinds[K] | undefined {
    return clone(this.map(kind).get(this.key(ns, name))) as StoredKinds[K] | undefined;
  }

  list<T>(kind: Kind, ns?: string): T[] {
    return [...this.map(kind).values()].filter((o) => ns === undefined || o.metadata?.namespace === ns).map((o) => clone(o) as T);
  }

  private notify(kind: Kind, type: WatchEventType, obj: Obj): void {
    for (const l of this.listeners) l(kind, type, clone(obj));
  }

  /** Adds or overwrites an object as-is (test setup; fills uid, rv, generation, time). */
  put(kind: Kind, obj: KubeObject): void {
    const o = clone(obj) as Obj;
    o.metadata = { ...(o.metadata ?? {}) };
    o.metadata.uid ??= randomUUID();
    o.metadata.generation ??= 1;
    o.metadata.creationTimestamp ??= new Date(this.clock.now()).toISOString();
    o.metadata.resourceVersion = String(this.rv++);
    const k = this.key(o.metadata.namespace, o.metadata.name ?? '');
    const existed = this.map(kind).has(k);
    this.map(kind).set(k, o);
    this.notify(kind, existed ? 'MODIFIED' : 'ADDED', o);
  }

  create(kind: Kind, ns: string | undefined, obj: KubeObject): Obj {
    const name = obj.metadata?.name ?? '';
    if (this.map(kind).has(this.key(ns, name))) throw new StatusError(409, `${kind} "${name}" already exists`);
    const o = clone(obj) as Obj;
    o.metadata = { ...(o.metadata ?? {}), namespace: ns, uid: randomUUID(), generation: 1, resourceVersion: String(this.rv++), creationTimestamp: new Date(this.clock.now()).toISOString() };
    this.map(kind).set(this.key(ns, name), o);
    this.notify(kind, 'ADDED', o);
    return clone(o);
  }

  /** Merge patch; `status` true patches only status (the status subresource). */
  patch(kind: Kind, ns: string | undefined, name: string, patch: MergePatch, status: boolean): Obj {
    const k = this.key(ns, name);
    const cur = this.map(kind).get(k);
    if (!cur) throw new StatusError(404, `${kind} "${name}" not found`);
    const meta = (patch.metadata ?? {}) as Record<string, unknown>;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== cur.metadata?.resourceVersion) {
      throw new StatusError(409, `Operation cannot be fulfilled on ${kind} "${name}": the object has been modified`);
    }
    const { resourceVersion: _rv, ...metaRest } = meta;
    let next: Obj;
    if (status) {
      next = { ...cur, status: mergePatch(cur.status, patch.status ?? {}) };
    } else {
      const body: Record<string, unknown> = { ...patch, metadata: metaRest };
      delete body.status;
      next = mergePatch(cur, body) as Obj;
      next.status = cur.status;
      if (!sameJSON(cur.spec, next.spec)) next.metadata = { ...next.metadata, generation: (cur.metadata?.generation ?? 1) + 1 };
    }
    if (sameJSON(next, cur)) return clone(cur);
    next.metadata = { ...next.metadata, resourceVersion: String(this.rv++) };
    this.map(kind).set(k, next);
    this.notify(kind, 'MODIFIED', next);
    return clone(next);
  }

  replace(kind: Kind, ns: string | undefined, name: string, obj: KubeObject): Obj {
    const k = this.key(ns, name);
    const cur = this.map(kind).get(k);
    if (!cur) throw new StatusError(404, `${kind} "${name}" not found`);
    if (obj.metadata?.resourceVersion !== cur.metadata?.resourceVersion) {
      throw new StatusError(409, `Operation cannot be fulfilled on ${kind} "${name}": the object has been modified`);
    }
    const next = clone(obj) as Obj;
    next.metadata = { ...(next.metadata ?? {}), resourceVersion: String(this.rv++) };
    this.map(kind).set(k, next);
    this.notify(kind, 'MODIFIED', next);
    return clone(next);
  }

  delete(kind: Kind, ns: string | undefined, name: string): boolean {
    const k = this.key(ns, name);
    const cur = this.map(kind).get(k);
    if (!cur) return false;
    this.map(kind).delete(k);
    this.notify(kind, 'DELETED', cur);
    return true;
  }
}

/** Ports over the store. Every call is counted under "<port>.<method>". */
export function memoryPorts(store: MemoryStore): Ports {
  const s = store;
  return {
    databases: {
      async get(ns, name) {
        s.call('databases.get');
        return s.get('Singlestore', ns, name);
      },
      async patch(ns, name, patch) {
        s.call('databases.patch');
        return s.patch('Singlestore', ns, name, patch, false) as Singlestore;
      },
      async patchStatus(ns, name, patch) {
        s.call('databases.patchStatus');
        return s.patch('Singlestore', ns, name, patch, true) as Singlestore;
      },
    },
    opsRequests: {
      async get(ns, name) {
        s.call('opsRequests.get');
        return s.get('SinglestoreOpsRequest', ns, name);
      },
      async list(ns) {
        s.call('opsRequests.list');
        return s.list<SinglestoreOpsRequest>('SinglestoreOpsRequest', ns);
      },
      async patchStatus(ns, name, patch) {
        s.call('opsRequests.patchStatus');
        return s.patch('SinglestoreOpsRequest', ns, name, patch, true) as SinglestoreOpsRequest;
      },
    },
    certificates: {
      async get(ns, name) {
        s.call('certificates.get');
        return s.get('Certificate', ns, name);
      },
      async create(ns, cert) {
        s.call('certificates.create');
        return s.create('Certificate', ns, cert) as Certificate;
      },
      async patch(ns, name, patch) {
        s.call('certificates.patch');
        return s.patch('Certificate', ns, name, patch, false) as Certificate;
      },
      async patchStatus(ns, name, patch) {
        s.call('certificates.patchStatus');
        return s.patch('Certificate', ns, name, patch, true) as Certificate;
      },
      async delete(ns, name) {
        s.call('certificates.delete');
        s.delete('Certificate', ns, name);
      },
    },
    secrets: {
      async delete(ns, name) {
        s.call('secrets.delete');
        s.delete('Secret', ns, name);
      },
    },
    petSets: {
      async get(ns, name) {
        s.call('petSets.get');
        return s.get('PetSet', ns, name);
      },
      async patch(ns, name, patch) {
        s.call('petSets.patch');
        return s.patch('PetSet', ns, name, patch, false) as PetSet;
      },
    },
    pods: {
      async get(ns, name) {
        s.call('pods.get');
        return s.get('Pod', ns, name);
      },
      async evict(ns, name, uid) {
        s.call('pods.evict');
        const pod = s.get('Pod', ns, name);
        if (!pod) throw new StatusError(404, `pods "${name}" not found`);
        if (uid && pod.metadata?.uid !== uid) throw new StatusError(409, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(pod.metadata?.uid)}`);
        if (s.pdbBlocked.has(name)) throw new StatusError(429, 'Cannot evict pod as it would violate the pod\'s disruption budget.');
        s.evictions.push(name);
        s.delete('Pod', ns, name);
      },
    },
    events: {
      async emit(involved, type, reason, message) {
        s.call('events.create');
        s.events.push({ object: `${String(involved.metadata?.namespace)}/${String(involved.metadata?.name)}`, type, reason, message, time: s.clock.now() });
      },
    },
    issuers: {
      async getIssuer(ns, name) {
        s.call('issuers.get');
        return s.get('Issuer', ns, name);
      },
      async getClusterIssuer(name) {
        s.call('clusterIssuers.get');
        return s.get('ClusterIssuer', undefined, name);
      },
    },
    leases: {
      async get(ns, name) {
        s.call('leases.get');
        return s.get('Lease', ns, name);
      },
      async create(ns, lease) {
        s.call('leases.create');
        return s.create('Lease', ns, lease) as Lease;
      },
      async replace(ns, name, lease) {
        s.call('leases.update');
        return s.replace('Lease', ns, name, lease) as Lease;
      },
    },
  };
}

const CACHED_KINDS: Partial<Record<Kind, CachedKind>> = {
  Singlestore: 'singlestores',
  SinglestoreOpsRequest: 'singlestoreopsrequests',
  Issuer: 'issuers',
  ClusterIssuer: 'clusterissuers',
  Certificate: 'certificates',
  PetSet: 'petsets',
  Pod: 'pods',
};
const CHANGE = { ADDED: 'add', MODIFIED: 'update', DELETED: 'delete' } as const;

/**
 * The informer caches over the store (no port calls, so nothing is counted): the
 * reconciler's ReconcileCache and the pre-flight's ClusterView. Its copy is kept from the
 * store's change feed and, as a watch, delivered asynchronously (a microtask after the
 * change; `lagMs` > 0: that long after, on a real timer). `freeze()` makes it lag like a
 * stalled watch (changes queue up until `sync()`); `unsynced` kinds answer hasSynced
 * false, as an informer that has not listed yet. A ClusterIssuer is held under namespace ''.
 */
export class MemoryCache implements ReconcileCache, ClusterView {
  private readonly objs = new Map<CachedKind, Map<string, KubeObject>>();
  private readonly byDb = new Map<string, Map<string, SinglestoreOpsRequest>>();
  private queued: { kind: CachedKind; type: WatchEventType; obj: KubeObject }[] = [];
  private frozen = false;
  private inFlight = 0;
  private readonly listeners = new Set<(kind: CachedKind, type: 'add' | 'update' | 'delete', obj: CachedKinds[CachedKind]) => void>();
  private readonly off: () => void;
  /** Kinds whose informer has not synced (reads of them must go to the API). */
  readonly unsynced = new Set<CachedKind>();

  constructor(
    private readonly store: MemoryStore,
    private readonly o: { lagMs?: number } = {},
  ) {
    for (const [k, kind] of Object.entries(CACHED_KINDS) as [Kind, CachedKind][]) for (const x of store.list<KubeObject>(k)) this.apply(kind, 'ADDED', x);
    this.off = store.onChange((k, type, obj) => {
      const kind = CACHED_KINDS[k];
      if (!kind) return;
      this.inFlight++;
      const deliver = (): void => {
        this.inFlight--;
        if (this.frozen) this.queued.push({ kind, type, obj });
        else this.deliver(kind, type, obj);
      };
      if ((this.o.lagMs ?? 0) > 0) setTimeout(deliver, this.o.lagMs);
      else queueMicrotask(deliver);
    });
  }

  private key(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name}`;
  }

  private apply(kind: CachedKind, type: WatchEventType, obj: KubeObject): void {
    let m = this.objs.get(kind);
    if (!m) this.objs.set(kind, (m = new Map<string, KubeObject>()));
    const k = this.key(obj.metadata?.namespace, obj.metadata?.name ?? '');
    if (type === 'DELETED') m.delete(k);
    else m.set(k, obj);
    if (kind !== 'singlestoreopsrequests') return;
    const r = obj as SinglestoreOpsRequest;
    for (const x of this.byDb.values()) x.delete(k);
    if (type === 'DELETED') return;
    const dbk = `${r.metadata?.namespace ?? ''}/${r.spec?.databaseRef?.name ?? ''}`;
    let d = this.byDb.get(dbk);
    if (!d) this.byDb.set(dbk, (d = new Map<string, SinglestoreOpsRequest>()));
    d.set(k, r);
  }

  /** Events delivered so far (each one wakes whoever watches its object). */
  delivered = 0;

  private deliver(kind: CachedKind, type: WatchEventType, obj: KubeObject): void {
    this.delivered++;
    this.apply(kind, type, obj);
    for (const l of this.listeners) l(kind, CHANGE[type], obj);
  }

  get<K extends CachedKind>(kind: K, namespace: string, name: string): CachedKinds[K] | undefined {
    return this.objs.get(kind)?.get(this.key(namespace, name));
  }

  listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[] {
    return [...(this.byDb.get(`${namespace}/${database}`)?.values() ?? [])];
  }

  subscribe(listener: (kind: CachedKind, type: 'add' | 'update' | 'delete', obj: CachedKinds[CachedKind]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hasSynced(kind: CachedKind): boolean {
    return !this.unsynced.has(kind);
  }

  getSinglestore(namespace: string, name: string): Singlestore | undefined {
    return this.get('singlestores', namespace, name);
  }

  getIssuer(namespace: string, name: string): Issuer | undefined {
    return this.get('issuers', namespace, name);
  }

  getClusterIssuer(name: string): Issuer | undefined {
    return this.get('clusterissuers', '', name);
  }

  /** Resolves once every change made so far has been delivered (unless frozen). */
  async settled(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, Math.max(1, this.o.lagMs ?? 0)));
  }

  /** From now on changes wait for sync(), as behind a lagging watch. */
  freeze(): void {
    this.frozen = true;
  }

  /** Delivers the queued changes and goes live again. */
  sync(): void {
    this.frozen = false;
    for (const e of this.queued.splice(0)) this.deliver(e.kind, e.type, e.obj);
  }

  close(): void {
    this.off();
    this.listeners.clear();
  }
}

/** A list/watch source of ops requests over the store (ADDED for existing ones first). */
export function memoryOpsSource(store: MemoryStore): OpsRequestSource {
  let off: (() => void) | undefined;
  return {
    async start(onEvent) {
      for (const r of store.list<SinglestoreOpsRequest>('SinglestoreOpsRequest')) onEvent('ADDED', r);
      off = store.onChange((kind, type, obj) => {
        if (kind === 'SinglestoreOpsRequest') onEvent(type, obj as SinglestoreOpsRequest);
      });
    },
    async stop() {
      off?.();
    },
  };
}

function setCond(conds: Condition[] | undefined, c: Condition): Condition[] {
  return [...(conds ?? []).filter((x) => x.type !== c.type), c];
}

/** TEST STAND-IN for cert-manager. */
export class FakeCertManager {
  /** While true, issuance fails (Issuing False, reason Failed), like an unready issuer. */
  failing = false;
  issued = 0;
  constructor(private readonly store: MemoryStore) {}

  /** One reconcile pass over every Certificate. */
  step(): void {
    for (const c of this.store.list<Certificate>('Certificate')) {
      const ns = c.metadata?.namespace;
      const name = c.metadata?.name ?? '';
      const conds = c.status?.conditions ?? [];
      const ready = conds.find((x) => x.type === 'Ready');
      const issuing = conds.find((x) => x.type === 'Issuing' && x.status === 'True');
      const secretName = c.spec?.secretName ?? name;
      const needs =
        issuing !== undefined ||
        ready?.status !== 'True' ||
        ready.observedGeneration !== c.metadata?.generation ||
        this.store.get('Secret', ns, secretName) === undefined;
      if (!needs) continue;
      const now = new Date(this.store.clock.now()).toISOString();
      if (this.failing) {
        const failed: Condition = { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried', lastTransitionTime: now };
        if (!conds.some((x) => x.type === 'Issuing' && x.status === 'False')) {
          this.store.patch('Certificate', ns, name, { status: { conditions: setCond(conds, failed) } }, true);
        }
        continue;
      }
      this.issued++;
      this.store.put('Secret', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace: ns, annotations: { 'cert-manager.io/certificate-name': name } },
        type: 'kubernetes.io/tls',
        data: { 'ca.crt': 'Q0E=', 'tls.crt': Buffer.from(`${name}#${(c.status?.revision ?? 0) + 1}`).toString('base64'), 'tls.key': 'S0VZ' },
      } as KubeObject);
      const next = setCond(
        conds.filter((x) => x.type !== 'Issuing'),
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: ready?.status === 'True' ? (ready.lastTransitionTime ?? now) : now, observedGeneration: c.metadata?.generation ?? 1 },
      );
      this.store.patch('Certificate', ns, name, { status: { conditions: next, revision: (c.status?.revision ?? 0) + 1, notBefore: now } }, true);
    }
  }
}

/** TEST STAND-IN for the PetSet controller (and the kubelet making pods Ready). */
export class FakePetSetController {
  /** Pods this stand-in will not recreate (a node that never comes back). */
  readonly holdBack = new Set<string>();
  constructor(private readonly store: MemoryStore) {}

  step(): void {
    for (const ps of this.store.list<PetSet>('PetSet')) {
      const ns = ps.metadata?.namespace;
      const psName = ps.metadata?.name ?? '';
      if ((ps.status?.observedGeneration ?? 0) !== ps.metadata?.generation) {
        this.store.patch('PetSet', ns, psName, { status: { observedGeneration: ps.metadata?.generation, replicas: ps.spec?.replicas ?? 1 } }, true);
      }
      const n = ps.spec?.replicas ?? 1;
      for (let i = 0; i < n; i++) {
        const name = `${psName}-${i}`;
        const pod = this.store.get('Pod', ns, name);
        if (!pod) {
          if (this.holdBack.has(name)) continue;
          this.store.create('Pod', ns, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: ns, labels: { ...(ps.spec?.template?.metadata?.labels ?? {}) } },
            spec: clone(ps.spec?.template?.spec ?? {}),
            status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] },
          } as KubeObject);
        } else if (pod.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') {
          this.store.patch('Pod', ns, name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(this.store.clock.now()).toISOString() }] } }, true);
        }
      }
    }
  }
}
