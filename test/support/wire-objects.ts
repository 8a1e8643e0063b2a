// Objects as the API server sends them to an informer, at realistic sizes: KubeDB's
// defaulted Singlestores, its PetSets and their pods (spec, status, container statuses),
// the Certificates KubeDB creates, finished ops requests and Issuers, each with
// metadata.managedFields (one entry per field manager, fieldsV1 mirroring the fields it
// owns, as the API server writes them) and, where kubectl made the object, kubectl's
// last-applied-configuration annotation. Used by the cache-memory bench
// (bench/cache-cost.ts, bench/server.ts) and the projection tests.
import type { Singlestore, TLSConfig } from '../../src/api/types.js';
import { certificateName, topologyPetSetName } from '../../src/core/names.js';
import { desiredCertificates } from '../../src/core/reconcile/tls.js';

type Obj = Record<string, unknown>;

/** fieldsV1 of `value` as the API server records it: `f:<key>` per field, `k:{"name":…}` per named list item. */
export function fieldsV1(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: Obj = {};
    value.forEach((item, i) => {
      const name = (item as { name?: unknown; type?: unknown } | null)?.name ?? (item as { type?: unknown } | null)?.type;
      out[typeof name === 'string' ? `k:{"${typeof (item as Obj).name === 'string' ? 'name' : 'type'}":"${name}"}` : `v:${i}`] = typeof item === 'object' && item !== null ? { '.': {}, ...(fieldsV1(item) as Obj) } : {};
    });
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[`f:${k}`] = typeof v === 'object' && v !== null ? fieldsV1(v) : {};
    return out;
  }
  return {};
}

function managed(manager: string, operation: 'Update' | 'Apply', fields: Obj, subresource?: string, apiVersion = 'v1'): Obj {
  return { apiVersion, fieldsType: 'FieldsV1', fieldsV1: fieldsV1(fields), manager, operation, ...(subresource ? { subresource } : {}), time: '2026-11-20T10:11:12Z' };
}

let seq = 0;
const uid = (): string => {
  seq += 1;
  const h = seq.toString(16).padStart(12, '0');
  return `7c0f3a2e-9b1d-4e5f-8a6b-${h}`;
};
const rv = (): string => String(100_000 + seq * 7);

/** An object as stored: `metadata` with its identity (name, namespace, a uid and a resourceVersion of its own). */
function stored(apiVersion: string, kind: string, ns: string, name: string, metadata: Obj, spec: unknown, status: unknown): Obj {
  return { apiVersion, kind, metadata: { ...metadata, name, namespace: ns, resourceVersion: rv(), uid: uid() }, spec, status };
}

const LABELS = (db: string): Record<string, string> => ({
  'app.kubernetes.io/component': 'database',
  'app.kubernetes.io/instance': db,
  'app.kubernetes.io/managed-by': 'kubedb.com',
  'app.kubernetes.io/name': 'singlestores.kubedb.com',
});

const securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsGroup: 998, runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } };
const resources = (mem: string) => ({ limits: { memory: mem }, requests: { cpu: '600m', memory: mem } });

function podTemplateSpec(db: string, role: string, tls: boolean): Obj {
  const env = [
    { name: 'ROOT_USERNAME', valueFrom: { secretKeyRef: { key: 'username', name: `${db}-root-cred` } } },
    { name: 'ROOT_PASSWORD', valueFrom: { secretKeyRef: { key: 'password', name: `${db}-root-cred` } } },
    { name: 'NODE_ROLE', value: role },
    { name: 'MEMSQL_LICENSE', valueFrom: { secretKeyRef: { key: 'license', name: 'license-secret' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'GOVERNING_SERVICE_NAME', value: `${db}-pods` },
    { name: 'DB_NAME', value: db },
    { name: 'NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
  ];
  const mounts = [
    { mountPath: '/var/lib/memsql', name: 'data' },
    { mountPath: '/scripts', name: 'init-scripts' },
    { mountPath: '/etc/memsql/conf.d', name: 'custom-config' },
    ...(tls ? [{ mountPath: '/etc/memsql/certs', name: 'tls-volume' }] : []),
  ];
  return {
    containers: [
      {
        args: ['/scripts/node-start.sh'],
        command: ['/bin/bash', '-c'],
        env,
        image: 'ghcr.io/appscode-images/singlestore-node:alma-8.7.10-95e2357384',
        imagePullPolicy: 'IfNotPresent',
        lifecycle: { preStop: { exec: { command: ['/bin/bash', '-c', 'memsqlctl stop-node --yes'] } } },
        livenessProbe: { exec: { command: ['/bin/bash', '-c', '/scripts/liveness.sh'] }, failureThreshold: 3, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 5 },
        name: 'singlestore',
        ports: [{ containerPort: 3306, name: 'db', protocol: 'TCP' }],
        readinessProbe: { exec: { command: ['/bin/bash', '-c', '/scripts/readiness.sh'] }, failureThreshold: 3, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 5 },
        resources: resources(role === 'leaf' ? '4Gi' : '2Gi'),
        securityContext,
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: mounts,
      },
      {
        args: ['run', `--db-name=${db}`, `--db-kind=Singlestore`, '--logtostderr=true', '--alsologtostderr=false', '--v=3'],
        env: env.slice(0, 3),
        image: 'ghcr.io/kubedb/singlestore-coordinator:v0.3.0',
        imagePullPolicy: 'IfNotPresent',
        name: 'singlestore-coordinator',
        resources: { limits: { memory: '256Mi' }, requests: { cpu: '200m', memory: '256Mi' } },
        securityContext,
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: mounts.slice(0, 2),
      },
    ],
    dnsPolicy: 'ClusterFirst',
    initContainers: [
      {
        image: 'ghcr.io/kubedb/singlestore-init:8.7.10-v1',
        imagePullPolicy: 'IfNotPresent',
        name: 'singlestore-init',
        resources: { limits: { memory: '512Mi' }, requests: { cpu: '200m', memory: '512Mi' } },
        securityContext,
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: [{ mountPath: '/scripts', name: 'init-scripts' }],
      },
    ],
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: { fsGroup: 999 },
    serviceAccount: db,
    serviceAccountName: db,
    subdomain: `${db}-pods`,
    terminationGracePeriodSeconds: 30,
    volumes: [
      { emptyDir: {}, name: 'init-scripts' },
      { name: 'custom-config', secret: { defaultMode: 420, secretName: `${db}-${role}-config` } },
      ...(tls
        ? [
            {
              name: 'tls-volume',
              projected: {
                defaultMode: 288,
                sources: [
                  { secret: { items: [{ key: 'ca.crt', path: 'ca.crt' }, { key: 'tls.crt', path: 'server.crt' }, { key: 'tls.key', path: 'server.key' }], name: certificateName(db, 'server') } },
                  { secret: { items: [{ key: 'tls.crt', path: 'client.crt' }, { key: 'tls.key', path: 'client.key' }], name: certificateName(db, 'client') } },
                ],
              },
            },
          ]
        : []),
    ],
  };
}

const TLS = (issuer: string, db: string): TLSConfig => ({
  issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: issuer },
  certificates: [
    { alias: 'server', secretName: certificateName(db, 'server'), subject: { organizations: ['kubedb:server'] } },
    { alias: 'client', secretName: certificateName(db, 'client'), subject: { organizations: ['singlestore'], organizationalUnits: ['client'] } },
  ],
});

/** A KubeDB Singlestore after KubeDB's defaulting (podTemplates filled in), Ready. */
export function wireSinglestore(ns: string, name: string, opts: { tlsIssuer?: string } = {}): Obj {
  const tls = opts.tlsIssuer ? TLS(opts.tlsIssuer, name) : undefined;
  const node = (role: string, replicas: number) => ({
    podTemplate: { controller: {}, metadata: {}, spec: { containers: [{ name: 'singlestore', resources: resources(role === 'leaf' ? '4Gi' : '2Gi'), securityContext }, { name: 'singlestore-coordinator', resources: resources('256Mi'), securityContext }], initContainers: [{ name: 'singlestore-init', resources: resources('512Mi'), securityContext }], podPlacementPolicy: { name: 'default' }, securityContext: { fsGroup: 999 } } },
    replicas,
    storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: role === 'leaf' ? '10Gi' : '1Gi' } }, storageClassName: 'standard' },
  });
  const applied = { apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { name, namespace: ns }, spec: { version: '8.7.10', topology: { aggregator: { replicas: 2 }, leaf: { replicas: 1 } }, licenseSecret: { name: 'license-secret' }, storageType: 'Durable', deletionPolicy: 'WipeOut', ...(tls ? { tls } : {}) } };
  const spec = {
    authSecret: { externallyManaged: false, name: `${name}-root-cred` },
    deletionPolicy: 'WipeOut',
    healthChecker: { failureThreshold: 1, periodSeconds: 10, timeoutSeconds: 10 },
    licenseSecret: { name: 'license-secret' },
    storageType: 'Durable',
    topology: { aggregator: node('aggregator', 2), leaf: node('leaf', 1) },
    version: '8.7.10',
    ...(tls ? { tls } : {}),
  };
  const cond = (type: string, reason: string, message: string) => ({ lastTransitionTime: '2026-11-01T00:01:00Z', message, observedGeneration: 3, reason, status: 'True', type });
  const status = {
    conditions: [
      cond('ProvisioningStarted', 'DatabaseProvisioningStartedSuccessfully', `The KubeDB operator has started the provisioning of Singlestore: ${ns}/${name}`),
      cond('ReplicaReady', 'AllReplicasReady', 'All desired replicas are ready.'),
      cond('AcceptingConnection', 'DatabaseAcceptingConnectionRequest', `database ${ns}/${name} is accepting connection`),
      cond('Ready', 'AllReplicasReady', `database ${ns}/${name} is ready`),
      cond('Provisioned', 'DatabaseSuccessfullyProvisioned', `The Singlestore: ${ns}/${name} is successfully provisioned.`),
    ],
    observedGeneration: 3,
    phase: 'Ready',
  };
  return stored('kubedb.com/v1alpha2', 'Singlestore', ns, name, {
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n` },
    creationTimestamp: '2026-11-01T00:00:00Z',
    finalizers: ['kubedb.com'],
    generation: 3,
    managedFields: [
      managed('kubectl-client-side-apply', 'Update', { metadata: { annotations: {} }, spec: applied.spec }, undefined, 'kubedb.com/v1alpha2'),
      managed('kubedb-provisioner', 'Update', { metadata: { finalizers: [] }, spec }, undefined, 'kubedb.com/v1alpha2'),
      managed('kubedb-provisioner', 'Update', { status }, 'status', 'kubedb.com/v1alpha2'),
    ],
  }, spec, status);
}

/** A PetSet of a database (KubeDB's, as the PetSet controller keeps it). */
export function wirePetSet(ns: string, db: string, role: 'aggregator' | 'leaf', replicas: number, tls: boolean): Obj {
  const name = topologyPetSetName(db, role);
  const labels = { ...LABELS(db), 'kubedb.com/petset': 'standalone', 'kubedb.com/role': role };
  const spec = {
    podManagementPolicy: 'OrderedReady',
    replicas,
    selector: { matchLabels: labels },
    serviceName: `${db}-pods`,
    template: { metadata: { labels }, spec: podTemplateSpec(db, role, tls) },
    updateStrategy: { rollingUpdate: { partition: 0 }, type: 'OnDelete' },
    volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: role === 'leaf' ? '10Gi' : '1Gi' } }, storageClassName: 'standard' }, status: { phase: 'Pending' } }],
  };
  const status = { availableReplicas: replicas, collisionCount: 0, currentReplicas: replicas, currentRevision: `${name}-6d5c9f7b8`, observedGeneration: 2, readyReplicas: replicas, replicas, updateRevision: `${name}-6d5c9f7b8`, updatedReplicas: replicas };
  return stored('apps.k8s.appscode.com/v1', 'PetSet', ns, name, {
    creationTimestamp: '2026-11-01T00:00:10Z',
    generation: 2,
    labels,
    managedFields: [managed('kubedb-provisioner', 'Update', { metadata: { labels, ownerReferences: [{ uid: 'x' }] }, spec }, undefined, 'apps.k8s.appscode.com/v1'), managed('petset-controller', 'Update', { status }, 'status', 'apps.k8s.appscode.com/v1')],
    ownerReferences: [{ apiVersion: 'kubedb.com/v1alpha2', blockOwnerDeletion: true, controller: true, kind: 'Singlestore', name: db, uid: uid() }],
  }, spec, status);
}

/** A running, Ready pod of a PetSet. */
export function wirePod(ns: string, db: string, role: 'aggregator' | 'leaf', ordinal: number, tls: boolean): Obj {
  const ps = topologyPetSetName(db, role);
  const name = `${ps}-${ordinal}`;
  const labels = { ...LABELS(db), 'apps.k8s.appscode.com/pod-name': name, 'controller-revision-hash': `${ps}-6d5c9f7b8`, 'kubedb.com/petset': 'standalone', 'kubedb.com/role': role };
  const tmpl = podTemplateSpec(db, role, tls);
  const spec = {
    ...tmpl,
    enableServiceLinks: true,
    hostname: name,
    nodeName: `node-${ordinal % 7}`,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    tolerations: [
      { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
      { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: `data-${name}` } },
      ...(tmpl['volumes'] as Obj[]),
      { name: 'kube-api-access-x7k2p', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } }, { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } }] } },
    ],
  };
  const t = '2026-11-20T10:11:12Z';
  const cstatus = (c: string, image: string) => ({
    containerID: `containerd://${'9f'.repeat(32)}`,
    image,
    imageID: `${image.split(':')[0] ?? ''}@sha256:${'ab'.repeat(32)}`,
    lastState: {},
    name: c,
    ready: true,
    restartCount: 0,
    started: true,
    state: { running: { startedAt: t } },
    volumeMounts: [{ mountPath: '/var/lib/memsql', name: 'data' }, { mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: 'kube-api-access-x7k2p', readOnly: true, recursiveReadOnly: 'Disabled' }],
  });
  const status = {
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ lastProbeTime: null, lastTransitionTime: t, status: 'True', type })),
    containerStatuses: [cstatus('singlestore', 'ghcr.io/appscode-images/singlestore-node:alma-8.7.10-95e2357384'), cstatus('singlestore-coordinator', 'ghcr.io/kubedb/singlestore-coordinator:v0.3.0')],
    hostIP: '10.128.0.17',
    hostIPs: [{ ip: '10.128.0.17' }],
    initContainerStatuses: [{ ...cstatus('singlestore-init', 'ghcr.io/kubedb/singlestore-init:8.7.10-v1'), ready: true, started: false, state: { terminated: { containerID: `containerd://${'7e'.repeat(32)}`, exitCode: 0, finishedAt: t, reason: 'Completed', startedAt: t } } }],
    phase: 'Running',
    podIP: `10.4.${ordinal}.23`,
    podIPs: [{ ip: `10.4.${ordinal}.23` }],
    qosClass: 'Burstable',
    startTime: t,
  };
  return stored('v1', 'Pod', ns, name, {
    creationTimestamp: t,
    generateName: `${ps}-`,
    labels,
    managedFields: [managed('petset-controller', 'Update', { metadata: { generateName: '', labels, ownerReferences: [{ uid: 'x' }] }, spec }), managed('kubelet', 'Update', { status }, 'status')],
    ownerReferences: [{ apiVersion: 'apps.k8s.appscode.com/v1', blockOwnerDeletion: true, controller: true, kind: 'PetSet', name: ps, uid: uid() }],
  }, spec, status);
}

/** The Certificates KubeDB (and the reconciler) make for a TLS database, issued and Ready. */
export function wireCertificates(db: Obj): Obj[] {
  const sdb = db as Singlestore;
  if (!sdb.spec?.tls) return [];
  return desiredCertificates(sdb, sdb.spec.tls).map((c) => {
    const status = {
      conditions: [{ lastTransitionTime: '2026-11-01T00:00:30Z', message: 'Certificate is up to date and has not expired', observedGeneration: 1, reason: 'Ready', status: 'True', type: 'Ready' }],
      notAfter: '2027-02-01T00:00:30Z',
      notBefore: '2026-11-01T00:00:30Z',
      renewalTime: '2027-01-02T00:00:30Z',
      revision: 1,
    };
    return {
      ...c,
      metadata: {
        ...c.metadata,
        creationTimestamp: '2026-11-01T00:00:20Z',
        generation: 1,
        managedFields: [
          managed('kubedb-provisioner', 'Update', { metadata: { labels: c.metadata?.labels, ownerReferences: [{ uid: 'x' }] }, spec: c.spec }, undefined, 'cert-manager.io/v1'),
          managed('cert-manager-certificates-issuing', 'Update', { status: { conditions: status.conditions, notAfter: '', notBefore: '', renewalTime: '', revision: 1 } }, 'status', 'cert-manager.io/v1'),
          managed('cert-manager-certificates-readiness', 'Update', { status: { conditions: status.conditions } }, 'status', 'cert-manager.io/v1'),
        ],
        resourceVersion: rv(),
        uid: uid(),
      },
      status,
    };
  });
}

/** The element at i, counting round the list (not empty). */
function cycle<T>(xs: readonly T[], i: number): T {
  const x = xs[i % xs.length];
  if (x === undefined) throw new Error('cycle: an empty list');
  return x;
}

const CONDS = ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful'];

/** A finished ops request (kubectl-applied), its conditions as the reconciler leaves them. */
export function wireOpsRequest(ns: string, name: string, db: string, i: number): Obj {
  const types = ['Restart', 'VerticalScaling', 'HorizontalScaling', 'UpdateVersion', 'ReconfigureTLS'];
  const type = cycle(types, i);
  const spec: Obj = { apply: 'IfReady', databaseRef: { name: db }, maxRetries: 1, timeout: '10m', type, ...(type === 'ReconfigureTLS' ? { tls: { rotateCertificates: true } } : {}) };
  const applied = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name, namespace: ns }, spec };
  const phase = cycle(['Successful', 'Failed', 'Skipped'], i);
  const status = {
    conditions: CONDS.slice(0, phase === 'Successful' ? CONDS.length : 3).map((c, k) => ({ lastTransitionTime: `2026-11-10T00:0${k}:00Z`, message: `Successfully ${c.replace(/([A-Z])/g, ' $1').trim().toLowerCase()} for Singlestore ${ns}/${db}`, observedGeneration: 1, reason: c, status: 'True', type: c })),
    observedGeneration: 1,
    phase,
  };
  return stored('ops.kubedb.com/v1alpha1', 'SinglestoreOpsRequest', ns, name, {
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n` },
    creationTimestamp: '2026-11-10T00:00:00Z',
    generation: 1,
    managedFields: [managed('kubectl-client-side-apply', 'Update', { metadata: { annotations: {} }, spec }, undefined, 'ops.kubedb.com/v1alpha1'), managed('sdb-tls-guard', 'Update', { status }, 'status', 'ops.kubedb.com/v1alpha1')],
  }, spec, status);
}

export function wireIssuer(ns: string, name: string): Obj {
  const spec = { ca: { secretName: `${name}-ca` } };
  const status = { conditions: [{ lastTransitionTime: '2026-11-01T00:00:05Z', message: 'Signing CA verified', observedGeneration: 1, reason: 'KeyPairVerified', status: 'True', type: 'Ready' }] };
  return stored('cert-manager.io/v1', 'Issuer', ns, name, {
    creationTimestamp: '2026-11-01T00:00:00Z',
    generation: 1,
    managedFields: [managed('kubectl-create', 'Update', { spec }, undefined, 'cert-manager.io/v1'), managed('cert-manager-issuers', 'Update', { status }, 'status', 'cert-manager.io/v1')],
  }, spec, status);
}

export interface WireCluster {
  singlestores: Obj[];
  singlestoreopsrequests: Obj[];
  issuers: Obj[];
  clusterissuers: Obj[];
  certificates: Obj[];
  petsets: Obj[];
  pods: Obj[];
}

export const CLUSTER_SHAPE = { databases: 600, namespaces: 20, issuers: 100, total: 10_000, targetOpsRequests: 5 } as const;

/**
 * A cluster of `databases` SingleStore databases (2 aggregators + 1 leaf each: two
 * PetSets, three pods; every database but the worked example's demo/sample-sdb with TLS,
 * so two Certificates), `issuers` Issuers, and ops requests filling up to `total`
 * objects (5 of them on demo/sample-sdb).
 */
export function wireCluster(shape: { databases: number; namespaces: number; issuers: number; total: number; targetOpsRequests: number } = CLUSTER_SHAPE): WireCluster {
  const c: WireCluster = { singlestores: [], singlestoreopsrequests: [], issuers: [], clusterissuers: [], certificates: [], petsets: [], pods: [] };
  const nsOf = (i: number) => (i % shape.namespaces === 0 ? 'demo' : `team-${i % shape.namespaces}`);
  for (let i = 0; i < shape.issuers; i++) c.issuers.push(wireIssuer(nsOf(i), i < shape.namespaces ? 'sdb-issuer' : `issuer-${i}`));
  const dbs: [string, string][] = [];
  for (let i = 0; i < shape.databases; i++) {
    const ns = nsOf(i);
    const name = i === 0 ? 'sample-sdb' : `sdb-${i}`;
    const tls = i !== 0;
    dbs.push([ns, name]);
    const db = wireSinglestore(ns, name, tls ? { tlsIssuer: 'sdb-issuer' } : {});
    c.singlestores.push(db);
    c.certificates.push(...wireCertificates(db));
    c.petsets.push(wirePetSet(ns, name, 'aggregator', 2, tls), wirePetSet(ns, name, 'leaf', 1, tls));
    c.pods.push(wirePod(ns, name, 'aggregator', 0, tls), wirePod(ns, name, 'aggregator', 1, tls), wirePod(ns, name, 'leaf', 0, tls));
  }
  const held = (): number => c.singlestores.length + c.singlestoreopsrequests.length + c.issuers.length + c.clusterissuers.length + c.certificates.length + c.petsets.length + c.pods.length;
  let n = 0;
  for (let k = 0; k < shape.targetOpsRequests; k++) c.singlestoreopsrequests.push(wireOpsRequest('demo', `sample-sdb-ops-${k}`, 'sample-sdb', n++));
  for (let i = 1; held() < shape.total; i++) {
    const [ns, db] = cycle(dbs, i);
    if (db === 'sample-sdb') continue;
    c.singlestoreopsrequests.push(wireOpsRequest(ns, `${db}-ops-${n}`, db, n));
    n++;
  }
  return c;
}
