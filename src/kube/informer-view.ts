// The informer caches of the process (cluster-wide list+watch), behind one view:
//   - the four kinds the cluster rules read (a ClusterView): Singlestores,
//     SinglestoreOpsRequests, Issuers and ClusterIssuers; always watched, and /readyz
//     waits for them;
//   - with the reconciler (`reconciler: true`), the three kinds it waits on: cert-manager
//     Certificates, PetSets and Pods, each selected by KubeDB's labels
//     (MANAGED_SELECTOR), so only SingleStore databases' objects are listed, watched and
//     held, never a cluster's other pods. They are reported in /readyz's body and the
//     cache metrics but do not gate readiness: admission must not go down for a
//     reconciler-side gap (a missing CRD, an RBAC rule short).
// Lookups go through indexes kept up to date from the informers' events, so every call
// is a map lookup. Each object is projected to what the rules and the reconciler read
// (./projection.ts) before it is stored, and stored once.
//
// Failure handling: an informer that fails (CRD not installed → 404, RBAC → 403, watch
// dropped, API server away) is restarted with exponential backoff; while it is down
// its cache keeps the last known objects and it is reported as not synced, with the
// reason, in cacheReadiness() (and so in /readyz's body). The process never crashes
// for it.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GVK, type Certificate, type Issuer, type KubeObject, type PetSet, type Pod, type Singlestore, type SinglestoreOpsRequest } from '../api/types.js';
import type { ClusterView } from '../core/view.js';
import type { CacheStat } from '../metrics.js';
import type { CacheReadiness, ReadinessReport } from '../api/health.js';
import { StatusError } from './ports.js';
import { PROJECTIONS, projectInPlace, type Keep } from './projection.js';

/** The objects each cache holds (projected: ./projection.ts), by informer resource name. */
export interface WatchedKinds {
  singlestores: Singlestore;
  singlestoreopsrequests: SinglestoreOpsRequest;
  issuers: Issuer;
  clusterissuers: Issuer;
  certificates: Certificate;
  petsets: PetSet;
  pods: Pod;
}
export type ResourceKey = keyof WatchedKinds;

export interface ResourceDef {
  key: ResourceKey;
  /** '' for the core group (pods). */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Label selector of the list and the watch (absent: every object). */
  labelSelector?: string;
}

/** KubeDB's labels on every object it makes for a SingleStore database (DOMAIN.md
 *  "Labels on everything"; the Certificates the reconciler creates carry them too). */
export const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=kubedb.com,app.kubernetes.io/name=singlestores.kubedb.com';

/** What the cluster rules read; /readyz waits for these. */
export const WATCHED_RESOURCES: readonly ResourceDef[] = [
  { key: 'singlestores', group: GVK.singlestore.group, version: GVK.singlestore.version, plural: GVK.singlestore.plural, namespaced: true },
  { key: 'singlestoreopsrequests', group: GVK.opsRequest.group, version: GVK.opsRequest.version, plural: GVK.opsRequest.plural, namespaced: true },
  { key: 'issuers', group: GVK.issuer.group, version: GVK.issuer.version, plural: GVK.issuer.plural, namespaced: true },
  { key: 'clusterissuers', group: GVK.clusterIssuer.group, version: GVK.clusterIssuer.version, plural: GVK.clusterIssuer.plural, namespaced: false },
];

/** What the reconciler waits on besides those (only with `reconciler: true`); reported, never waited for. */
export const RECONCILER_RESOURCES: readonly ResourceDef[] = [
  { key: 'certificates', group: GVK.certificate.group, version: GVK.certificate.version, plural: GVK.certificate.plural, namespaced: true, labelSelector: MANAGED_SELECTOR },
  { key: 'petsets', group: GVK.petSet.group, version: GVK.petSet.version, plural: GVK.petSet.plural, namespaced: true, labelSelector: MANAGED_SELECTOR },
  { key: 'pods', group: '', version: 'v1', plural: 'pods', namespaced: true, labelSelector: MANAGED_SELECTOR },
];

const gatesReadiness = (def: ResourceDef): boolean => WATCHED_RESOURCES.some((d) => d.key === def.key);

/** The part of client-node's Informer this view uses (tests pass fakes). */
export interface InformerLike {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: KubernetesObject) => void): void;
  on(verb: 'error', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Makes the informer of one resource; `project` lets a list project each page as it
 *  arrives (the view projects every object it is handed again; projecting is idempotent). */
export type InformerFactory = (def: ResourceDef, project: (obj: KubernetesObject) => void) => InformerLike;

/** The collection path of a resource: /apis/<group>/<version>/<plural>, /api/v1/<plural> for core. */
export function resourcePath(def: ResourceDef): string {
  return def.group ? `/apis/${def.group}/${def.version}/${def.plural}` : `/api/${def.version}/${def.plural}`;
}

/** Objects per list page. A list is read page by page, each page projected before the
 *  next is asked for, and the informers of one factory read one page at a time between
 *  them (ListGate), so whole objects in memory never exceed one page: the peak RSS of
 *  a start-up is set by this number. 100 KubeDB pods are ~1.6 MB of JSON; measured
 *  in BENCHMARKS.md "Cache memory". */
export const LIST_PAGE_SIZE = 100;

/** One list page in flight at a time among the informers that share it. */
export type ListGate = <T>(read: () => Promise<T>) => Promise<T>;

export function listGate(): ListGate {
  let tail: Promise<unknown> = Promise.resolve();
  return (read) => {
    const run = tail.then(read, read);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** A list page that takes longer than this fails (and the informer restarts with backoff),
 *  so a stuck response cannot hold the gate, and every other informer's list, forever. */
export const LIST_PAGE_TIMEOUT_MS = 60_000;

/** A list page as the API server sends it (`continue`, not client-node's `_continue`). */
interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

const isHeaderList = (h: RequestOptions['headers']): h is readonly string[] => Array.isArray(h);

/** The kubeconfig's request headers with `accept: application/json`. */
function withAccept(headers: RequestOptions['headers']): RequestOptions['headers'] {
  return isHeaderList(headers) ? [...headers, 'accept', 'application/json'] : { ...headers, accept: 'application/json' };
}

/** One GET of `path` from the kubeconfig's API server, parsed as JSON (plain objects, as
 *  the watch delivers them: no client-side deserialization of dates). */
async function getJson(kc: KubeConfig, path: string): Promise<ListPage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No currently active cluster');
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(cluster.server + path);
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: opts.agent, headers: withAccept(opts.headers) }, (res) => {
      // Decoded as it arrives: one string of the page, no Buffer copy of it besides.
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (c: string) => (text += c));
      res.on('error', reject);
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code !== 200) {
          let message = text.slice(0, 200);
          try {
            const m = (JSON.parse(text) as { message?: unknown }).message;
            if (typeof m === 'string') message = m;
            else if (m !== undefined && m !== null) message = JSON.stringify(m);
          } catch {
            // not a Status body
          }
          reject(new StatusError(code, message));
          return;
        }
        try {
          resolve(JSON.parse(text) as ListPage);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.setTimeout(LIST_PAGE_TIMEOUT_MS, () => req.destroy(new Error(`list ${path}: no answer within ${LIST_PAGE_TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The list function of one resource's informer: every page (limit/continue), each
 *  page's items projected before the next page is read. */
export function pagedList(kc: KubeConfig, def: ResourceDef, project: (obj: KubernetesObject) => void, gate: ListGate = listGate(), pageSize = LIST_PAGE_SIZE): () => Promise<KubernetesListObject<KubernetesObject>> {
  return async () => {
    const items: KubernetesObject[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(pageSize) });
      if (def.labelSelector) q.set('labelSelector', def.labelSelector);
      if (cont) q.set('continue', cont);
      const page = await gate(async () => {
        const p = await getJson(kc, `${resourcePath(def)}?${q.toString()}`);
        for (const o of p.items ?? []) project(o);
        return p;
      });
      for (const o of page.items ?? []) items.push(o);
      const meta = page.metadata;
      resourceVersion = meta?.resourceVersion ?? resourceVersion;
      cont = meta?.continue || undefined;
    } while (cont);
    return { apiVersion: 'v1', kind: 'List', metadata: { ...(resourceVersion ? { resourceVersion } : {}) }, items };
  };
}

/** Informers over the API server of `kc`: paged list, then watch, of the resource's collection. */
export function clientNodeInformerFactory(kc: KubeConfig): InformerFactory {
  const gate = listGate();
  return (def, project) => makeInformer<KubernetesObject>(kc, resourcePath(def), pagedList(kc, def, project, gate), def.labelSelector);
}

export type ChangeType = 'add' | 'update' | 'delete';
/** The kinds whose changes subscribe() delivers: all but the issuers, which nothing waits
 *  on (get() serves them when a request starts; the reconciler's cache port allows their
 *  events to be left out), so the view is that port as it is. */
export type NotifiedKind = Exclude<ResourceKey, 'issuers' | 'clusterissuers'>;
export type ChangeListener = (resource: NotifiedKind, type: ChangeType, obj: WatchedKinds[NotifiedKind]) => void;

const isNotified = (k: ResourceKey): k is NotifiedKind => k !== 'issuers' && k !== 'clusterissuers';

export interface InformerViewOptions {
  factory: InformerFactory;
  /** Also watch what the reconciler waits on (RECONCILER_RESOURCES). Default false. */
  reconciler?: boolean;
  /** What each cache keeps of an object. Default PROJECTIONS (./projection.ts). */
  projections?: Readonly<Record<ResourceKey, Keep>>;
  /** Optional logger (pino-compatible: info/warn). */
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Restart backoff: first delay and cap, in ms. Default 1 s and 30 s. */
  backoff?: { initialMs: number; maxMs: number };
}

interface ResourceState {
  def: ResourceDef;
  informer: InformerLike;
  /** The cache: objects by "<namespace>/<name>" ("/<name>" for cluster-scoped kinds). */
  objects: Map<string, KubeObject>;
  synced: boolean;
  everSynced: boolean;
  reason: string | undefined;
  /** Bumped on every (re)start; an error belongs to the attempt it happened in. */
  attempt: number;
  failures: number;
  failedAttempt: number;
  timer: NodeJS.Timeout | undefined;
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
  const what = `${def.plural}.${def.group || 'core'}/${def.version}`;
  if (code === 404) return `${what}: not served by the API server (CRD not installed?) (404)`;
  if (code === 403) return `${what}: forbidden: the service account may not list/watch it cluster-wide (403)`;
  if (code === 401) return `${what}: unauthorized: the credentials were rejected (401)`;
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return `${what}: ${code ? `HTTP ${code}: ` : ''}${(msg.split('\n')[0] ?? '').slice(0, 200)}`;
}

/** The resource as /readyz names it: `<plural>.<group>`, `<plural>` for the core group. */
const resourceName = (def: ResourceDef): string => (def.group ? `${def.plural}.${def.group}` : def.plural);

export class InformerView implements ClusterView {
  private readonly states = new Map<ResourceKey, ResourceState>();
  /** Ops requests by "<namespace>/<database>", then by name (listOpsRequests). */
  private readonly ops = new Map<string, Map<string, SinglestoreOpsRequest>>();
  private readonly opsDb = new Map<string, string>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly waiters: (() => void)[] = [];
  private started = false;
  private stopped = false;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly opts: InformerViewOptions) {
    this.backoff = opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    const projections = opts.projections ?? PROJECTIONS;
    const defs = opts.reconciler ? [...WATCHED_RESOURCES, ...RECONCILER_RESOURCES] : WATCHED_RESOURCES;
    for (const def of defs) {
      const keep = projections[def.key];
      const project = (o: KubernetesObject) => projectInPlace(o, keep);
      const informer = opts.factory(def, project);
      const st: ResourceState = {
        def,
        informer,
        objects: new Map(),
        synced: false,
        everSynced: false,
        reason: 'not started',
        attempt: 0,
        failures: 0,
        failedAttempt: -1,
        timer: undefined,
      };
      informer.on('add', (o) => this.apply(st, 'add', o, project));
      informer.on('update', (o) => this.apply(st, 'update', o, project));
      informer.on('delete', (o) => this.apply(st, 'delete', o, project));
      informer.on('error', (err) => this.failed(st, err));
      this.states.set(def.key, st);
    }
  }

  static fromKubeConfig(kc: KubeConfig, opts: Omit<InformerViewOptions, 'factory'> = {}): InformerView {
    return new InformerView({ ...opts, factory: clientNodeInformerFactory(kc) });
  }

  // ---- lookups (ClusterView, and the reconciler's cache port) -----------------------

  /** One cached object ("" namespace for ClusterIssuers); undefined when absent or not watched. */
  get<K extends ResourceKey>(kind: K, namespace: string, name: string): WatchedKinds[K] | undefined {
    return this.states.get(kind)?.objects.get(keyOf(namespace, name));
  }

  getSinglestore(namespace: string, name: string): Singlestore | undefined {
    return this.get('singlestores', namespace, name);
  }

  listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[] {
    const bucket = this.ops.get(keyOf(namespace, database));
    return bucket ? [...bucket.values()] : [];
  }

  getIssuer(namespace: string, name: string): Issuer | undefined {
    return this.get('issuers', namespace, name);
  }

  getClusterIssuer(name: string): Issuer | undefined {
    return this.get('clusterissuers', '', name);
  }

  /** Every cached object of one resource (a copy of the index's values). */
  list<K extends ResourceKey>(resource: K): WatchedKinds[K][] {
    return [...(this.states.get(resource)?.objects.values() ?? [])] as WatchedKinds[K][];
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** Start every informer (idempotent). */
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

  /** With a kind: whether its informer has completed a list at least once (false for a
   *  kind this view does not watch). Without: whether every informer has. */
  hasSynced(kind?: ResourceKey): boolean {
    if (kind !== undefined) return this.states.get(kind)?.everSynced ?? false;
    for (const st of this.states.values()) if (!st.everSynced) return false;
    return true;
  }

  /** True when every informer is synced right now (none restarting). */
  isSyncedNow(): boolean {
    for (const st of this.states.values()) if (!st.synced) return false;
    return true;
  }

  /** Subscribe to cache changes of the NotifiedKinds; called after the cache applied the
   *  change (a listener ignores the kinds it does not read). Returns the unsubscribe. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cacheReadiness(): CacheReadiness[] {
    return [...this.states.values()].map((st) => ({
      resource: resourceName(st.def),
      synced: st.synced,
      objects: st.objects.size,
      gatesReadiness: gatesReadiness(st.def),
      ...(st.synced ? {} : { reason: st.reason ?? 'not synced' }),
    }));
  }

  cacheStats(): CacheStat[] {
    return [...this.states.values()].map((st) => ({ resource: st.def.plural, objects: st.objects.size, synced: st.synced }));
  }

  /**
   * /readyz: ready once each of the four caches of the cluster rules has synced at least
   * once. A cache that is restarting after a watch error keeps serving its last known
   * objects; /readyz stays 200 and names it, not synced, with the reason. The reconciler's
   * caches (certificates, petsets, pods) are named the same way but never make the
   * webhook unready.
   */
  readiness(): ReadinessReport {
    const caches = this.cacheReadiness();
    const ready = [...this.states.values()].every((st) => !gatesReadiness(st.def) || st.everSynced);
    const describe = (list: CacheReadiness[]) => list.map((c) => `${c.resource} (${String(c.reason)})`).join('; ');
    const waiting = caches.filter((c) => !c.synced && c.gatesReadiness);
    const behind = caches.filter((c) => !c.synced && !c.gatesReadiness);
    const reconcilerNote = behind.length ? `reconciler caches not synced (they do not gate readiness): ${describe(behind)}` : '';
    let message: string;
    if (!ready) message = `waiting for caches to sync: ${describe(waiting)}${reconcilerNote ? `; ${reconcilerNote}` : ''}`;
    else if (!waiting.length && !behind.length) message = 'ready: all caches synced';
    else message = `ready; ${[waiting.length ? `resyncing: ${describe(waiting)}` : '', reconcilerNote].filter(Boolean).join('; ')}`;
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
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may set it during the await above; TypeScript keeps the narrowing from before it
    if (this.stopped || st.attempt !== attempt || st.failedAttempt === attempt) return;
    st.synced = true;
    st.everSynced = true;
    st.failures = 0;
    st.reason = undefined;
    this.opts.logger?.info({ resource: st.def.plural, objects: st.objects.size }, 'informer cache synced');
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

  private apply(st: ResourceState, type: ChangeType, obj: KubernetesObject, project: (o: KubernetesObject) => void): void {
    // In place: the informer's own store holds this same object (./projection.ts).
    project(obj);
    const { ns, name } = metaOf(obj);
    const id = keyOf(ns, name);
    if (type === 'delete') st.objects.delete(id);
    else st.objects.set(id, obj as KubeObject);
    if (st.def.key === 'singlestoreopsrequests') {
      const previousDb = this.opsDb.get(id);
      if (previousDb !== undefined) {
        const bucket = this.ops.get(keyOf(ns, previousDb));
        bucket?.delete(name);
        if (bucket?.size === 0) this.ops.delete(keyOf(ns, previousDb));
        this.opsDb.delete(id);
      }
      if (type !== 'delete') {
        const db = dbOf(obj);
        const k = keyOf(ns, db);
        let bucket = this.ops.get(k);
        if (!bucket) this.ops.set(k, (bucket = new Map<string, SinglestoreOpsRequest>()));
        bucket.set(name, obj as SinglestoreOpsRequest);
        this.opsDb.set(id, db);
      }
    }
    const kind = st.def.key;
    if (!isNotified(kind)) return;
    for (const l of this.listeners) {
      try {
        l(kind, type, obj as WatchedKinds[NotifiedKind]);
      } catch (err) {
        this.opts.logger?.warn({ resource: st.def.plural, error: (err as Error).message }, 'cache change listener threw');
      }
    }
  }
}
