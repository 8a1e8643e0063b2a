// A ClusterView backed by informer caches (cluster-wide list+watch) of the four kinds
// the cluster rules read: Singlestores, SinglestoreOpsRequests, Issuers and
// ClusterIssuers. Lookups go through indexes kept up to date from the informers'
// events, so every ClusterView call is a map lookup.
//
// Failure handling: an informer that fails (CRD not installed → 404, RBAC → 403, watch
// dropped, API server away) is restarted with exponential backoff; while it is down
// its cache keeps the last known objects and it is reported as not synced, with the
// reason, in cacheReadiness() (and so in /readyz's body). The process never crashes
// for it.
import { CustomObjectsApi, makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GVK, type Issuer, type KubeObject, type Singlestore, type SinglestoreOpsRequest } from '../api/types.js';
import type { ClusterView } from '../core/view.js';
import type { CacheStat } from '../metrics.js';
import type { CacheReadiness, ReadinessReport } from '../api/health.js';

export type ResourceKey = 'singlestores' | 'singlestoreopsrequests' | 'issuers' | 'clusterissuers';

export interface ResourceDef {
  key: ResourceKey;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const WATCHED_RESOURCES: readonly ResourceDef[] = [
  { key: 'singlestores', group: GVK.singlestore.group, version: GVK.singlestore.version, plural: GVK.singlestore.plural, namespaced: true },
  { key: 'singlestoreopsrequests', group: GVK.opsRequest.group, version: GVK.opsRequest.version, plural: GVK.opsRequest.plural, namespaced: true },
  { key: 'issuers', group: GVK.issuer.group, version: GVK.issuer.version, plural: GVK.issuer.plural, namespaced: true },
  { key: 'clusterissuers', group: GVK.clusterIssuer.group, version: GVK.clusterIssuer.version, plural: GVK.clusterIssuer.plural, namespaced: false },
];

/** The part of client-node's Informer this view uses (tests pass fakes). */
export interface InformerLike {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: KubernetesObject) => void): void;
  on(verb: 'error', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type InformerFactory = (def: ResourceDef) => InformerLike;

/** Informers over the API server of `kc`: list and watch /apis/<group>/<version>/<plural>. */
export function clientNodeInformerFactory(kc: KubeConfig): InformerFactory {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (def) => {
    const path = `/apis/${def.group}/${def.version}/${def.plural}`;
    const list = () =>
      api.listClusterCustomObject({ group: def.group, version: def.version, plural: def.plural }) as Promise<KubernetesListObject<KubernetesObject>>;
    return makeInformer<KubernetesObject>(kc, path, list) as unknown as InformerLike;
  };
}

export type ChangeType = 'add' | 'update' | 'delete';
export type ChangeListener = (resource: ResourceKey, type: ChangeType, obj: KubeObject) => void;

export interface InformerViewOptions {
  factory: InformerFactory;
  /** Optional logger (pino-compatible: info/warn). */
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Restart backoff: first delay and cap, in ms. Default 1 s and 30 s. */
  backoff?: { initialMs: number; maxMs: number };
}

interface ResourceState {
  def: ResourceDef;
  informer: InformerLike;
  synced: boolean;
  everSynced: boolean;
  reason: string | undefined;
  /** Bumped on every (re)start; an error belongs to the attempt it happened in. */
  attempt: number;
  failures: number;
  failedAttempt: number;
  timer: NodeJS.Timeout | undefined;
  objects: number;
}

const keyOf = (ns: string, name: string) => `${ns}/${name}`;

function metaOf(obj: KubernetesObject): { ns: string; name: string } {
  return { ns: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

function dbOf(obj: KubernetesObject): string {
  const spec = (obj as SinglestoreOpsRequest).spec;
  const name = spec && typeof spec === 'object' ? spec.databaseRef?.name : undefined;
  return typeof name === 'string' ? name : '';
}

/** A human reason for an informer error: CRD missing, RBAC, or the error's text. */
export function describeInformerError(def: ResourceDef, err: unknown): string {
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  const what = `${def.plural}.${def.group}/${def.version}`;
  if (code === 404) return `${what}: not served by the API server (CRD not installed?) (404)`;
  if (code === 403) return `${what}: forbidden: the service account may not list/watch it cluster-wide (403)`;
  if (code === 401) return `${what}: unauthorized: the credentials were rejected (401)`;
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return `${what}: ${code ? `HTTP ${code}: ` : ''}${msg.split('\n')[0]!.slice(0, 200)}`;
}

export class InformerView implements ClusterView {
  private readonly states = new Map<ResourceKey, ResourceState>();
  private readonly singlestores = new Map<string, Singlestore>();
  private readonly ops = new Map<string, Map<string, SinglestoreOpsRequest>>();
  private readonly opsDb = new Map<string, string>();
  private readonly issuers = new Map<string, Issuer>();
  private readonly clusterIssuers = new Map<string, Issuer>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly waiters: (() => void)[] = [];
  private started = false;
  private stopped = false;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly opts: InformerViewOptions) {
    this.backoff = opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    for (const def of WATCHED_RESOURCES) {
      const informer = opts.factory(def);
      const st: ResourceState = {
        def,
        informer,
        synced: false,
        everSynced: false,
        reason: 'not started',
        attempt: 0,
        failures: 0,
        failedAttempt: -1,
        timer: undefined,
        objects: 0,
      };
      informer.on('add', (o) => this.apply(st, 'add', o));
      informer.on('update', (o) => this.apply(st, 'update', o));
      informer.on('delete', (o) => this.apply(st, 'delete', o));
      informer.on('error', (err) => this.failed(st, err));
      this.states.set(def.key, st);
    }
  }

  static fromKubeConfig(kc: KubeConfig, opts: Omit<InformerViewOptions, 'factory'> = {}): InformerView {
    return new InformerView({ ...opts, factory: clientNodeInformerFactory(kc) });
  }

  // ---- ClusterView ---------------------------------------------------------------

  getSinglestore(namespace: string, name: string): Singlestore | undefined {
    return this.singlestores.get(keyOf(namespace, name));
  }

  listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[] {
    const bucket = this.ops.get(keyOf(namespace, database));
    return bucket ? [...bucket.values()] : [];
  }

  getIssuer(namespace: string, name: string): Issuer | undefined {
    return this.issuers.get(keyOf(namespace, name));
  }

  getClusterIssuer(name: string): Issuer | undefined {
    return this.clusterIssuers.get(name);
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** Start all four informers (idempotent). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    for (const st of this.states.values()) void this.run(st);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const st of this.states.values()) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = undefined;
      st.synced = false;
      st.reason = 'stopped';
    }
    await Promise.allSettled([...this.states.values()].map((st) => st.informer.stop()));
  }

  /** Resolves once every informer has completed its first list. */
  synced(): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** True once every informer has completed a list at least once. */
  hasSynced(): boolean {
    for (const st of this.states.values()) if (!st.everSynced) return false;
    return true;
  }

  /** True when every informer is synced right now (none restarting). */
  isSyncedNow(): boolean {
    for (const st of this.states.values()) if (!st.synced) return false;
    return true;
  }

  /** Subscribe to cache changes (for the reconciler's watch → enqueue). Returns an unsubscribe function. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every cached object of one resource (a copy of the index's values). */
  list(resource: ResourceKey): KubeObject[] {
    switch (resource) {
      case 'singlestores':
        return [...this.singlestores.values()];
      case 'singlestoreopsrequests':
        return [...this.ops.values()].flatMap((b) => [...b.values()]);
      case 'issuers':
        return [...this.issuers.values()];
      case 'clusterissuers':
        return [...this.clusterIssuers.values()];
    }
  }

  cacheReadiness(): CacheReadiness[] {
    return [...this.states.values()].map((st) => ({
      resource: `${st.def.plural}.${st.def.group}`,
      synced: st.synced,
      objects: st.objects,
      ...(st.synced ? {} : { reason: st.reason ?? 'not synced' }),
    }));
  }

  cacheStats(): CacheStat[] {
    return [...this.states.values()].map((st) => ({ resource: st.def.plural, objects: st.objects, synced: st.synced }));
  }

  /**
   * /readyz: ready once every cache has synced at least once. A cache that is
   * restarting after a watch error keeps serving its last known objects; /readyz stays
   * 200 and names it, not synced, with the reason.
   */
  readiness(): ReadinessReport {
    const caches = this.cacheReadiness();
    const ready = this.hasSynced();
    const lagging = caches.filter((c) => !c.synced);
    const message = ready
      ? lagging.length
        ? `ready; resyncing: ${lagging.map((c) => `${c.resource} (${c.reason})`).join('; ')}`
        : 'ready: all caches synced'
      : `waiting for caches to sync: ${lagging.map((c) => `${c.resource} (${c.reason})`).join('; ')}`;
    return { ready, clusterRules: 'evaluated', message, caches };
  }

  // ---- internals -----------------------------------------------------------------

  private async run(st: ResourceState): Promise<void> {
    if (this.stopped) return;
    st.attempt += 1;
    const attempt = st.attempt;
    st.reason = st.everSynced ? 'relisting after an error' : 'listing';
    try {
      await st.informer.start();
    } catch (err) {
      this.failed(st, err);
      return;
    }
    if (this.stopped || st.attempt !== attempt || st.failedAttempt === attempt) return;
    st.synced = true;
    st.everSynced = true;
    st.failures = 0;
    st.reason = undefined;
    this.opts.logger?.info({ resource: st.def.plural, objects: st.objects }, 'informer cache synced');
    if (this.hasSynced()) for (const w of this.waiters.splice(0)) w();
  }

  private failed(st: ResourceState, err: unknown): void {
    if (this.stopped) return;
    if (st.failedAttempt === st.attempt && st.timer) return; // already scheduled
    st.failedAttempt = st.attempt;
    st.synced = false;
    st.failures += 1;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(st.failures - 1, 20));
    st.reason = `${describeInformerError(st.def, err)}; retrying in ${Math.round(delay / 100) / 10}s`;
    this.opts.logger?.warn({ resource: st.def.plural, failures: st.failures, retryInMs: delay, error: describeInformerError(st.def, err) }, 'informer failed; restarting with backoff');
    if (st.timer) clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = undefined;
      void this.run(st);
    }, delay);
  }

  private apply(st: ResourceState, type: ChangeType, obj: KubernetesObject): void {
    const { ns, name } = metaOf(obj);
    switch (st.def.key) {
      case 'singlestores':
        if (type === 'delete') this.singlestores.delete(keyOf(ns, name));
        else this.singlestores.set(keyOf(ns, name), obj as Singlestore);
        st.objects = this.singlestores.size;
        break;
      case 'issuers':
        if (type === 'delete') this.issuers.delete(keyOf(ns, name));
        else this.issuers.set(keyOf(ns, name), obj as Issuer);
        st.objects = this.issuers.size;
        break;
      case 'clusterissuers':
        if (type === 'delete') this.clusterIssuers.delete(name);
        else this.clusterIssuers.set(name, obj as Issuer);
        st.objects = this.clusterIssuers.size;
        break;
      case 'singlestoreopsrequests': {
        const id = keyOf(ns, name);
        const previousDb = this.opsDb.get(id);
        if (previousDb !== undefined) {
          const bucket = this.ops.get(keyOf(ns, previousDb));
          bucket?.delete(name);
          if (bucket && bucket.size === 0) this.ops.delete(keyOf(ns, previousDb));
          this.opsDb.delete(id);
        }
        if (type !== 'delete') {
          const db = dbOf(obj);
          const k = keyOf(ns, db);
          let bucket = this.ops.get(k);
          if (!bucket) this.ops.set(k, (bucket = new Map()));
          bucket.set(name, obj as SinglestoreOpsRequest);
          this.opsDb.set(id, db);
        }
        st.objects = this.opsDb.size;
        break;
      }
    }
    for (const l of this.listeners) {
      try {
        l(st.def.key, type, obj as KubeObject);
      } catch (err) {
        this.opts.logger?.warn({ resource: st.def.plural, error: (err as Error).message }, 'cache change listener threw');
      }
    }
  }
}
