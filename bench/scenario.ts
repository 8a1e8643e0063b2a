// The benchmark's data: the docs' add-TLS request wrapped as the API server sends it,
// and a MemoryView the size of a busy cluster (1,000 Singlestores, 5,000 ops requests,
// 100 issuers) in which the target database has a handful of finished ops requests.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { MemoryView } from '../src/core/memory-view.js';

/** bench/ when run from source (tsx), dist/bench/ when compiled: find the repo root. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('bench: cannot find the repository root (package.json)');
}

export const SIZES = { singlestores: 1000, opsRequests: 5000, issuers: 100, namespaces: 20, targetOpsRequests: 5 } as const;

export function addTlsObject(): Record<string, unknown> {
  const text = readFileSync(join(repoRoot(), 'test', 'fixtures', 'worked', 'add-tls.yaml'), 'utf8');
  return parse(text) as Record<string, unknown>;
}

/** What the bare route (a) answers: a constant allowed AdmissionReview. */
export const CONSTANT_RESPONSE = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '7d3c1b9e-5a0f-4c1e-9a47-000000000001', allowed: true },
} as const;

/** A v1 AdmissionReview of a CREATE, as the API server sends it. */
export function admissionReview(object: Record<string, unknown>, uid = '7d3c1b9e-5a0f-4c1e-9a47-000000000001'): Record<string, unknown> {
  const meta = (object['metadata'] ?? {}) as { name?: string; namespace?: string };
  const gvk = { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' };
  const gvr = { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: meta.name,
      namespace: meta.namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice@example.com', uid: '5b1a7f7e-0c2b-4c8e-9d63-0f0c3f0e9a11', groups: ['system:authenticated', 'dba'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', fieldManager: 'kubectl-create' },
    },
  };
}

const TERMINAL = ['Successful', 'Failed', 'Skipped'];
const TYPES = ['Restart', 'VerticalScaling', 'HorizontalScaling', 'UpdateVersion', 'ReconfigureTLS'];

function singlestore(ns: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'kubedb.com/v1alpha2',
    kind: 'Singlestore',
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, labels: { 'app.kubernetes.io/name': 'singlestores.kubedb.com', team: `t${name.length % 7}` } },
    spec: {
      version: '8.7.10',
      topology: { aggregator: { replicas: 2, storage: { resources: { requests: { storage: '1Gi' } } } }, leaf: { replicas: 1, storage: { resources: { requests: { storage: '10Gi' } } } } },
      licenseSecret: { name: 'license-secret' },
      storageType: 'Durable',
      deletionPolicy: 'WipeOut',
    },
    status: {
      phase: 'Ready',
      observedGeneration: 1,
      conditions: [
        { type: 'ProvisioningStarted', status: 'True', reason: 'DatabaseProvisioningStartedSuccessfully', lastTransitionTime: '2026-11-01T00:00:00Z' },
        { type: 'ReplicaReady', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: '2026-11-01T00:01:00Z' },
        { type: 'AcceptingConnection', status: 'True', reason: 'DatabaseAcceptingConnectionRequest', lastTransitionTime: '2026-11-01T00:01:00Z' },
        { type: 'Ready', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: '2026-11-01T00:01:00Z' },
        { type: 'Provisioned', status: 'True', reason: 'DatabaseSuccessfullyProvisioned', lastTransitionTime: '2026-11-01T00:01:00Z' },
      ],
    },
  };
}

function opsRequest(ns: string, name: string, db: string, i: number): Record<string, unknown> {
  const type = TYPES[i % TYPES.length] ?? 'Restart';
  const spec: Record<string, unknown> = { type, databaseRef: { name: db }, apply: 'IfReady', timeout: '10m' };
  if (type === 'ReconfigureTLS') spec['tls'] = { rotateCertificates: true };
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, creationTimestamp: '2026-11-10T00:00:00Z' },
    spec,
    status: {
      phase: TERMINAL[i % TERMINAL.length],
      observedGeneration: 1,
      conditions: [{ type: 'Successful', status: 'True', reason: 'Successful', lastTransitionTime: '2026-11-10T00:05:00Z' }],
    },
  };
}

function issuer(ns: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name, namespace: ns },
    spec: { ca: { secretName: `${name}-ca` } },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyPairVerified', message: 'Signing CA verified' }] },
  };
}

/**
 * The cluster: the worked example's `demo/sample-sdb` (TLS off) and `demo/sdb-issuer`
 * among 1,000 Singlestores in 20 namespaces, 5,000 finished ops requests (5 of them on
 * the target database) and 100 Issuers.
 */
export function buildView(): { view: MemoryView; counts: ReturnType<MemoryView['size']> } {
  const view = new MemoryView();
  const namespaces = Array.from({ length: SIZES.namespaces }, (_, i) => (i === 0 ? 'demo' : `team-${i}`));
  const dbs: [string, string][] = [];
  for (let i = 0; i < SIZES.singlestores; i++) {
    const ns = namespaces[i % namespaces.length] ?? 'demo';
    const name = i === 0 ? 'sample-sdb' : `sdb-${i}`;
    dbs.push([ns, name]);
    view.add(singlestore(ns, name));
  }
  let n = 0;
  for (let k = 0; k < SIZES.targetOpsRequests; k++) view.add(opsRequest('demo', `sample-sdb-ops-${k}`, 'sample-sdb', n++));
  for (let i = 1; n < SIZES.opsRequests; i++) {
    const [ns, db] = dbs[i % dbs.length] ?? ['demo', 'sdb-1'];
    if (db === 'sample-sdb') continue;
    view.add(opsRequest(ns, `${db}-ops-${n}`, db, n));
    n++;
  }
  for (let i = 0; i < SIZES.issuers; i++) {
    const ns = namespaces[i % namespaces.length] ?? 'demo';
    view.add(issuer(ns, i === 0 ? 'sdb-issuer' : `issuer-${i}`));
  }
  return { view, counts: view.size() };
}
