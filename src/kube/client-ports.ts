// client-node adapters for the reconciler's ports (./ports.ts). Custom resources
// (Singlestore, SinglestoreOpsRequest, cert-manager Certificate/Issuer/ClusterIssuer,
// PetSet) go through CustomObjectsApi with JSON merge patches
// (application/merge-patch+json), their status through the status subresource; pods,
// secrets and events through CoreV1Api, evictions through the Eviction API, the Lease
// through CoordinationV1Api. Errors keep client-node's ApiException (`code` = HTTP status).
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Lease,
} from '@kubernetes/client-node';
import { GVK, type Certificate, type Issuer, type PetSet, type Pod, type Singlestore, type SinglestoreOpsRequest } from '../api/types.js';
import { isNotFound, microTime, type Clock, type Lease, type MergePatch, type OpsRequestSource, type Ports } from './ports.js';
import { namespaceOf } from '../core/meta.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const COMPONENT = 'sdb-tls-guard';

interface G { group: string; version: string; plural: string }

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function leaseToWire(l: Lease): V1Lease {
  const s = l.spec ?? {};
  const t = (v: string): V1MicroTime => new V1MicroTime(Date.parse(v));
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: l.metadata,
    spec: {
      ...(s.holderIdentity !== undefined && s.holderIdentity !== null ? { holderIdentity: s.holderIdentity } : {}),
      ...(s.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
      ...(s.acquireTime ? { acquireTime: t(s.acquireTime) } : {}),
      ...(s.renewTime ? { renewTime: t(s.renewTime) } : {}),
      ...(s.leaseTransitions !== undefined ? { leaseTransitions: s.leaseTransitions } : {}),
    },
  };
}

function leaseFromWire(l: V1Lease): Lease {
  const s = l.spec ?? {};
  const t = (v: Date | undefined): string | undefined => (v ? microTime(new Date(v).getTime()) : undefined);
  const acquireTime = t(s.acquireTime);
  const renewTime = t(s.renewTime);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: l.metadata as Lease['metadata'],
    spec: {
      ...(s.holderIdentity !== undefined ? { holderIdentity: s.holderIdentity } : {}),
      ...(s.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
      ...(acquireTime ? { acquireTime } : {}),
      ...(renewTime ? { renewTime } : {}),
      ...(s.leaseTransitions !== undefined ? { leaseTransitions: s.leaseTransitions } : {}),
    },
  };
}

/** The ports over client-node; Events are stamped with `clock`'s time (the reconciler's). */
export function clientPorts(kc: KubeConfig, clock: Pick<Clock, 'now'>): Ports {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const coord = kc.makeApiClient(CoordinationV1Api);

  const get = <T>(g: G, namespace: string, name: string): Promise<T | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ ...g, namespace, name }) as Promise<T>);
  const patch = <T>(g: G, namespace: string, name: string, body: MergePatch): Promise<T> =>
    custom.patchNamespacedCustomObject({ ...g, namespace, name, body }, MERGE) as Promise<T>;
  const patchStatus = <T>(g: G, namespace: string, name: string, body: MergePatch): Promise<T> =>
    custom.patchNamespacedCustomObjectStatus({ ...g, namespace, name, body }, MERGE) as Promise<T>;

  return {
    databases: {
      get: (ns, name) => get<Singlestore>(GVK.singlestore, ns, name),
      patch: (ns, name, body) => patch<Singlestore>(GVK.singlestore, ns, name, body),
      patchStatus: (ns, name, body) => patchStatus<Singlestore>(GVK.singlestore, ns, name, body),
    },
    opsRequests: {
      get: (ns, name) => get<SinglestoreOpsRequest>(GVK.opsRequest, ns, name),
      async list(ns) {
        const res = (await custom.listNamespacedCustomObject({ ...GVK.opsRequest, namespace: ns })) as { items?: SinglestoreOpsRequest[] };
        return res.items ?? [];
      },
      patchStatus: (ns, name, body) => patchStatus<SinglestoreOpsRequest>(GVK.opsRequest, ns, name, body),
    },
    certificates: {
      get: (ns, name) => get<Certificate>(GVK.certificate, ns, name),
      create: (ns, cert) =>
        custom.createNamespacedCustomObject({ ...GVK.certificate, namespace: ns, body: { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', ...cert } }) as Promise<Certificate>,
      patch: (ns, name, body) => patch<Certificate>(GVK.certificate, ns, name, body),
      patchStatus: (ns, name, body) => patchStatus<Certificate>(GVK.certificate, ns, name, body),
      delete: (ns, name) => ignoreNotFound(custom.deleteNamespacedCustomObject({ ...GVK.certificate, namespace: ns, name })),
    },
    secrets: {
      delete: (ns, name) => ignoreNotFound(core.deleteNamespacedSecret({ namespace: ns, name })),
    },
    petSets: {
      get: (ns, name) => get<PetSet>(GVK.petSet, ns, name),
      patch: (ns, name, body) => patch<PetSet>(GVK.petSet, ns, name, body),
    },
    pods: {
      get: (ns, name) => orUndefined(core.readNamespacedPod({ namespace: ns, name }) as Promise<Pod>),
      async evict(ns, name, uid) {
        await core.createNamespacedPodEviction({
          namespace: ns,
          name,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name, namespace: ns },
            ...(uid ? { deleteOptions: { preconditions: { uid } } } : {}),
          },
        });
      },
    },
    events: {
      async emit(involved, type, reason, message) {
        const now = new Date(clock.now());
        const ns = namespaceOf(involved);
        await core.createNamespacedEvent({
          namespace: ns,
          body: {
            metadata: {
              namespace: ns,
              generateName: `${involved.metadata?.name ?? 'sdbops'}.`,
              // KubeDB's offshoot labels of an ops request (apis/ops/v1alpha1 constants.go).
              labels: { 'ops.kubedb.com/kind': 'singlestoreopsrequest', 'ops.kubedb.com/name': involved.metadata?.name ?? '' },
            },
            involvedObject: {
              apiVersion: involved.apiVersion ?? `${GVK.opsRequest.group}/${GVK.opsRequest.version}`,
              kind: involved.kind ?? GVK.opsRequest.kind,
              name: involved.metadata?.name ?? '',
              namespace: ns,
              ...(involved.metadata?.uid ? { uid: involved.metadata.uid } : {}),
              ...(involved.metadata?.resourceVersion ? { resourceVersion: involved.metadata.resourceVersion } : {}),
            },
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component: COMPONENT },
            reportingComponent: COMPONENT,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      },
    },
    issuers: {
      getIssuer: (ns, name) => get<Issuer>(GVK.issuer, ns, name),
      getClusterIssuer: (name) => orUndefined(custom.getClusterCustomObject({ ...GVK.clusterIssuer, name }) as Promise<Issuer>),
    },
    leases: {
      get: async (ns, name) => {
        const l = await orUndefined(coord.readNamespacedLease({ namespace: ns, name }));
        return l ? leaseFromWire(l) : undefined;
      },
      create: async (ns, lease) => leaseFromWire(await coord.createNamespacedLease({ namespace: ns, body: leaseToWire(lease) })),
      replace: async (ns, name, lease) => leaseFromWire(await coord.replaceNamespacedLease({ namespace: ns, name, body: leaseToWire(lease) })),
    },
  };
}

interface MinimalLogger {
  warn(obj: object, msg?: string): void;
}

/** List/watch of SinglestoreOpsRequests in all namespaces (an informer; restarted on error). */
export function clientOpsSource(kc: KubeConfig, log: MinimalLogger, restartDelayMs = 5000): OpsRequestSource {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const g = GVK.opsRequest;
  const path = `/apis/${g.group}/${g.version}/${g.plural}`;
  let informer: ReturnType<typeof makeInformer<KubernetesObject>> | undefined;
  let stopped = false;
  return {
    async start(onEvent) {
      stopped = false;
      const inf = makeInformer<KubernetesObject>(
        kc,
        path,
        () => custom.listClusterCustomObject({ ...g }) as Promise<KubernetesListObject<KubernetesObject>>,
      );
      informer = inf;
      inf.on('add', (o) => onEvent('ADDED', o as SinglestoreOpsRequest));
      inf.on('update', (o) => onEvent('MODIFIED', o as SinglestoreOpsRequest));
      inf.on('delete', (o) => onEvent('DELETED', o as SinglestoreOpsRequest));
      inf.on('error', (err) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ops request watch failed; restarting');
        setTimeout(() => {
          if (!stopped && informer === inf) void inf.start().catch(() => undefined);
        }, restartDelayMs);
      });
      await inf.start();
    },
    async stop() {
      stopped = true;
      const inf = informer;
      informer = undefined;
      await inf?.stop();
    },
  };
}
