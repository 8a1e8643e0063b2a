// Small builders of observed objects for the planner's table tests.
import type { Certificate, Condition, PetSet, Pod, Singlestore, SinglestoreOpsRequest, TLSConfig, OpsTLSSpec } from '../../../src/api/types.js';
import { petSetPatch, type Observed } from '../../../src/core/reconcile/index.js';
import { mergePatch } from '../../support/memory-ports.js';

export const T0 = Date.parse('2026-11-28T00:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString();
export const MIN = 60_000;

export const TLS_ON: TLSConfig = {
  issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-issuer' },
  certificates: [{ alias: 'server' }, { alias: 'client', subject: { organizations: ['singlestore'], organizationalUnits: ['client'] } }],
};

export function request(
  tls: OpsTLSSpec,
  o: { name?: string; phase?: string; conds?: string[]; created?: number; apply?: string; timeout?: string; condTime?: number; condMessages?: Record<string, string> } = {},
): SinglestoreOpsRequest {
  const conditions: Condition[] = (o.conds ?? []).map((type) => ({
    type,
    status: 'True',
    reason: type,
    message: o.condMessages?.[type] ?? '',
    lastTransitionTime: iso(o.condTime ?? T0),
  }));
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name: o.name ?? 'sdbops-x', namespace: 'demo', uid: 'req-uid', generation: 1, creationTimestamp: iso(o.created ?? T0 - 10 * MIN) },
    spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' }, tls, apply: o.apply ?? 'IfReady', timeout: o.timeout ?? '10m' },
    status: { phase: (o.phase ?? 'Progressing') as never, conditions },
  };
}

export function database(tls: TLSConfig | undefined, o: { phase?: string; pausedBy?: string } = {}): Singlestore {
  const conditions: Condition[] = [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: iso(T0 - 60 * MIN) }];
  if (o.pausedBy) conditions.push({ type: 'Paused', status: 'True', reason: o.pausedBy, message: 'Paused by sdb-tls-guard', lastTransitionTime: iso(T0) });
  return {
    apiVersion: 'kubedb.com/v1alpha2',
    kind: 'Singlestore',
    metadata: { name: 'sample-sdb', namespace: 'demo', uid: 'db-uid' },
    spec: { version: '8.7.10', topology: { aggregator: { replicas: 2 }, leaf: { replicas: 1 } }, ...(tls ? { tls } : {}) },
    status: { phase: o.phase ?? 'Ready', conditions },
  };
}

export function cert(
  name: string,
  o: { ready?: boolean; generation?: number; observedGeneration?: number; issuing?: boolean; revision?: number; spec?: Certificate['spec'] } = {},
): Certificate {
  const conditions: Condition[] = [];
  if (o.ready !== false) conditions.push({ type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: o.observedGeneration ?? o.generation ?? 1, lastTransitionTime: iso(T0) });
  else conditions.push({ type: 'Ready', status: 'False', reason: 'DoesNotExist', lastTransitionTime: iso(T0) });
  if (o.issuing) conditions.push({ type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', lastTransitionTime: iso(T0) });
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: 'demo', generation: o.generation ?? 1 },
    spec: o.spec ?? {},
    status: { conditions, ...(o.revision !== undefined ? { revision: o.revision } : {}) },
  };
}

export function petSet(name: string, replicas: number, tls: TLSConfig | null, o: { generation?: number; observedGeneration?: number } = {}): PetSet {
  const base: PetSet = {
    apiVersion: 'apps.k8s.appscode.com/v1',
    kind: 'PetSet',
    metadata: { name, namespace: 'demo', generation: o.generation ?? 1 },
    spec: {
      replicas,
      template: { spec: { containers: [{ name: 'singlestore', volumeMounts: [{ name: 'data', mountPath: '/var/lib/memsql' }] }, { name: 'exporter' }], volumes: [{ name: 'data', emptyDir: {} }] } },
    },
    status: { observedGeneration: o.observedGeneration ?? o.generation ?? 1 },
  };
  if (!tls) return base;
  const patch = petSetPatch(base, 'sample-sdb', tls);
  return (patch ? mergePatch(base, patch) : base) as PetSet;
}

/** A pod; created one second after T0 (after the request's conditions) unless `created` says otherwise. */
export function pod(name: string, uid: string, ready = true, terminating = false, created = T0 + 1000): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'demo', uid, creationTimestamp: iso(created), ...(terminating ? { deletionTimestamp: iso(T0) } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

export function observed(p: Partial<Observed> & { request: SinglestoreOpsRequest }): Observed {
  return { siblings: [], certificates: [], secrets: [], petSets: [], pods: [], database: database(TLS_ON), ...p };
}

import { desiredCertificates, newTLS } from '../../../src/core/reconcile/index.js';

/** The Certificates the reconciler would have made for `tls`, with a status. */
export function certsFor(tls: TLSConfig, o: Parameters<typeof cert>[1] = {}): Certificate[] {
  const full = newTLS(tls, {});
  if (!full) throw new Error('newTLS with an empty request removed spec.tls');
  return desiredCertificates(database(full), full).map((d) => {
    const c = cert(d.metadata?.name ?? '', o);
    return { ...d, metadata: { ...d.metadata, generation: c.metadata?.generation }, status: c.status };
  });
}
