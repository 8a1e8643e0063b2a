// Objects in the test API server: a fresh namespace per test (kube-controller-manager
// deletes namespaces, but a fresh one keeps tests apart), the worked example's state
// seeded the way it would be in a cluster (object first, then its status through the
// status subresource; Issuers get a real CA made by cert-manager and their status from
// cert-manager itself), and typed paths for the resources of the project.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GVK, type PetSet, type Singlestore } from '../../../src/api/types.js';
import { desiredCertificates, petSetPatch } from '../../../src/core/reconcile/index.js';
import { waitFor } from './process.js';
import { resourcePath, type ApiClient, type ApiResponse } from './api.js';
import { CLUSTER_RESOURCE_NAMESPACE, SELF_SIGNED_ISSUER } from './controllers.js';
import { REPO_ROOT } from './paths.js';

export const WORKED_DIR = join(REPO_ROOT, 'test/fixtures/worked');

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export const R = {
  ops: GVK.opsRequest,
  db: GVK.singlestore,
  issuer: GVK.issuer,
  clusterIssuer: GVK.clusterIssuer,
  certificate: GVK.certificate,
  petSet: GVK.petSet,
  pod: { group: '', version: 'v1', kind: 'Pod', plural: 'pods' },
  secret: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets' },
  event: { group: '', version: 'v1', kind: 'Event', plural: 'events' },
  namespace: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces' },
} as const;

const KIND_TO_RESOURCE: Record<string, { group: string; version: string; plural: string }> = {
  SinglestoreOpsRequest: R.ops,
  Singlestore: R.db,
  Issuer: R.issuer,
  ClusterIssuer: R.clusterIssuer,
  Certificate: R.certificate,
  PetSet: R.petSet,
  Pod: R.pod,
  Secret: R.secret,
};

export function resourceOf(kind: string): { group: string; version: string; plural: string } {
  const r = KIND_TO_RESOURCE[kind];
  if (!r) throw new Error(`no resource known for kind ${kind}`);
  return r;
}

const CLUSTER_SCOPED = new Set(['ClusterIssuer']);

/** YAML documents of a worked fixture (test/fixtures/worked/<file>). */
export function loadWorked(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(WORKED_DIR, file), 'utf8'))
    .map((d) => d.toJSON() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

/** A worked request moved to `namespace` (and optionally renamed), status dropped. */
export function workedRequest(file: string, namespace: string, o: { name?: string; database?: string } = {}): Obj {
  const [req] = loadWorked(file);
  if (!req) throw new Error(`${file}: empty`);
  const out = structuredClone(req);
  delete out.status;
  out.metadata = { ...out.metadata, namespace, ...(o.name ? { name: o.name } : {}) };
  if (o.database) out.spec = { ...out.spec, databaseRef: { name: o.database } };
  return out;
}

let counter = 0;

/** Creates a namespace with a unique name starting with `prefix`. */
export async function newNamespace(api: ApiClient, prefix: string): Promise<string> {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'e2e';
  const name = `${clean}-${(++counter).toString(36)}-${randomBytes(3).toString('hex')}`;
  await api.must(api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'sdb-tls-guard.io/e2e': 'true' } } }), `creating namespace ${name}`);
  return name;
}

export function objectPath(obj: Obj, sub?: string): string {
  const kind = obj.kind ?? '';
  const ns = CLUSTER_SCOPED.has(kind) ? undefined : obj.metadata?.namespace;
  return resourcePath(resourceOf(kind), ns, obj.metadata?.name, sub);
}

/** Creates `obj` (its namespace taken from metadata), then writes its status, if any, through /status. */
export async function createWithStatus<T extends Obj = Obj>(api: ApiClient, obj: Obj): Promise<T> {
  const { status, ...rest } = structuredClone(obj);
  const kind = obj.kind ?? '';
  const ns = CLUSTER_SCOPED.has(kind) ? undefined : obj.metadata?.namespace;
  let created = await api.must<T>(api.post<T>(resourcePath(resourceOf(kind), ns), rest), `creating ${kind} ${String(obj.metadata?.name)}`);
  if (status && Object.keys(status).length) {
    created = await api.must<T>(api.patch<T>(objectPath(obj, 'status'), { status }, 'merge'), `writing the status of ${kind} ${String(obj.metadata?.name)}`);
  }
  return created;
}

export interface SeededState {
  namespace: string;
  database: Obj;
  issuers: Obj[];
}

export interface SeedOptions {
  dbPatch?: (db: Obj) => void;
  /** Issuers whose CA Secret is never made: the real cert-manager then keeps them
   *  `Ready=False` (reason ErrGetKeyPair) and never issues from them. */
  withoutCA?: string[];
}

type IssuerObj = Obj & { spec?: { ca?: { secretName?: string } }; status?: { conditions?: { type: string; status: string; reason?: string }[] } };

/** The CA key pair of a CA Issuer: a Certificate (isCA) signed by the e2e SelfSigned ClusterIssuer. */
export function caCertificate(namespace: string, secretName: string): Obj {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: secretName, namespace },
    spec: {
      isCA: true,
      commonName: `${secretName} e2e CA`,
      secretName,
      duration: '2160h',
      privateKey: { algorithm: 'ECDSA', size: 256 },
      issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  };
}

const issuerCondition = (o: IssuerObj | undefined): { status: string; reason?: string } | undefined => o?.status?.conditions?.find((c) => c.type === 'Ready');

/**
 * Seeds a worked state file (state.yaml / state-tls.yaml) into `namespace`: the
 * Singlestore with its status; each Issuer with a real CA (a CA Certificate issued by
 * cert-manager into the Issuer's `spec.ca.secretName`) and no status of ours — the real
 * cert-manager sets it; waits until cert-manager calls every Issuer Ready (or, for
 * `withoutCA`, not Ready). ClusterIssuers are created once.
 */
export async function seedState(api: ApiClient, namespace: string, stateFile: string, o: SeedOptions = {}): Promise<SeededState> {
  let database: Obj | undefined;
  const issuers: Obj[] = [];
  const waitIssuers: { path: string; ready: boolean; name: string }[] = [];
  for (const doc of loadWorked(stateFile)) {
    const obj = structuredClone(doc) as IssuerObj;
    const isIssuer = obj.kind === 'Issuer' || obj.kind === 'ClusterIssuer';
    if (!CLUSTER_SCOPED.has(obj.kind ?? '')) obj.metadata = { ...obj.metadata, namespace };
    if (obj.kind === 'Singlestore') {
      o.dbPatch?.(obj);
      database = await createWithStatus(api, obj);
      continue;
    }
    if (!isIssuer) {
      issuers.push(await createWithStatus(api, obj));
      continue;
    }
    delete obj.status; // cert-manager's to write
    const name = obj.metadata?.name ?? '';
    if (CLUSTER_SCOPED.has(obj.kind ?? '') && (await api.get(objectPath(obj))).status === 200) continue;
    const caSecret = obj.spec?.ca?.secretName;
    const withCA = caSecret !== undefined && !(o.withoutCA ?? []).includes(name);
    if (withCA) {
      const caNs = obj.kind === 'ClusterIssuer' ? CLUSTER_RESOURCE_NAMESPACE : namespace;
      const r = await api.post(resourcePath(R.certificate, caNs), caCertificate(caNs, caSecret));
      if (r.status !== 201 && r.status !== 409) throw new Error(`CA Certificate ${caNs}/${caSecret}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
    issuers.push(await createWithStatus(api, obj));
    waitIssuers.push({ path: objectPath(obj), ready: withCA || caSecret === undefined, name });
  }
  if (!database) throw new Error(`${stateFile}: no Singlestore`);
  for (const w of waitIssuers) {
    await waitFor(
      `${namespace}: cert-manager reports Issuer ${w.name} ${w.ready ? 'Ready' : 'not Ready'}`,
      async () => {
        const c = issuerCondition((await api.get<IssuerObj>(w.path)).body);
        return c && (c.status === 'True') === w.ready ? true : undefined;
      },
      60_000,
      200,
    );
  }
  for (const [i, issuer] of issuers.entries()) {
    const fresh = await api.get<Obj>(objectPath(issuer));
    if (fresh.status === 200) issuers[i] = fresh.body;
  }
  return { namespace, database, issuers };
}

export const opsPath = (ns: string, name?: string, sub?: string): string => resourcePath(R.ops, ns, name, sub);
export const dbPath = (ns: string, name?: string, sub?: string): string => resourcePath(R.db, ns, name, sub);

/** POST of an ops request; the response as the client sees it (status, body, warnings). */
export function createOps(api: ApiClient, obj: Obj, query?: Record<string, string>): Promise<ApiResponse<Obj & { message?: string; reason?: string; code?: number }>> {
  return api.post(opsPath(obj.metadata?.namespace ?? 'default'), obj, query);
}

/** PetSets (aggregator, leaf) of the seeded database, with the tls-volume when TLS is on. */
export async function seedPetSets(api: ApiClient, db: Singlestore): Promise<void> {
  const ns = db.metadata?.namespace ?? '';
  const name = db.metadata?.name ?? '';
  for (const role of ['aggregator', 'leaf'] as const) {
    const replicas = db.spec?.topology?.[role]?.replicas ?? 1;
    // KubeDB's labels (DOMAIN.md "Labels on everything"; the reconciler's informers select by them).
    const labels = { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'kubedb.com', 'app.kubernetes.io/name': 'singlestores.kubedb.com', 'kubedb.com/role': role };
    const ps: PetSet = {
      apiVersion: 'apps.k8s.appscode.com/v1',
      kind: 'PetSet',
      metadata: { name: `${name}-${role}`, namespace: ns, labels },
      spec: {
        replicas,
        serviceName: `${name}-pods`,
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
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
    const created = await createWithStatus<PetSet & Obj>(api, ps as Obj);
    const tls = db.spec?.tls;
    if (tls) {
      const patch = petSetPatch(created, name, tls);
      if (patch) await api.must(api.patch(resourcePath(R.petSet, ns, ps.metadata?.name), patch, 'merge'), 'petset tls-volume');
    }
  }
  if (db.spec?.tls) {
    for (const c of desiredCertificates(db, db.spec.tls)) await api.must(api.post(resourcePath(R.certificate, ns), c), `certificate ${String(c.metadata?.name)}`);
  }
}

type WithConds = Obj & { status?: { phase?: string; conditions?: { type: string; status: string }[] } };
const condTrue = (o: WithConds, type: string): boolean => (o.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** Pods of the database Running and Ready (the stand-in created them, kube-scheduler bound
 *  them, kwok ran them) and its Certificates Ready (issued by cert-manager). */
export async function waitSettled(api: ApiClient, db: Singlestore, timeoutMs = 60_000): Promise<void> {
  const ns = db.metadata?.namespace ?? '';
  const pods = (db.spec?.topology?.aggregator?.replicas ?? 1) + (db.spec?.topology?.leaf?.replicas ?? 1);
  const certs = db.spec?.tls ? desiredCertificates(db, db.spec.tls).length : 0;
  await waitFor(
    `${ns}: ${pods} pods Ready and ${certs} Certificates Ready`,
    async () => {
      const p = await api.must<{ items: WithConds[] }>(api.get(resourcePath(R.pod, ns)), 'pods');
      const c = await api.must<{ items: WithConds[] }>(api.get(resourcePath(R.certificate, ns)), 'certificates');
      const ready = p.items.filter((x) => x.status?.phase === 'Running' && condTrue(x, 'Ready')).length;
      const issued = c.items.filter((x) => !(x.spec as { isCA?: boolean } | undefined)?.isCA && condTrue(x, 'Ready')).length;
      return ready === pods && issued === certs ? true : undefined;
    },
    timeoutMs,
    300,
  );
}

/** seedState + seedPetSets + waitSettled: a database as KubeDB would leave it, running. */
export async function seedDatabase(api: ApiClient, namespace: string, stateFile: string, o: SeedOptions = {}): Promise<SeededState & { db: Singlestore }> {
  const seeded = await seedState(api, namespace, stateFile, o);
  const db = seeded.database as Singlestore;
  await seedPetSets(api, db);
  await waitSettled(api, db);
  return { ...seeded, db };
}
