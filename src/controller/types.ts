// Minimal shapes of the collaborators the controller is given (so it depends on no
// particular logger or metrics file).
import type { Certificate, Issuer, PetSet, Pod, Singlestore, SinglestoreOpsRequest } from '../api/types.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** The reconcile metrics of src/metrics.ts (sdb_tls_guard_reconcile_steps_total,
 *  sdb_tls_guard_reconcile_step_duration_seconds, and optionally
 *  sdb_tls_guard_ops_request_phase_transitions_total, sdb_tls_guard_reconcile_failures_total,
 *  sdb_tls_guard_reconcile_errors_total, sdb_tls_guard_leader); prom-client objects fit. */
export interface ReconcileMetrics {
  reconcileSteps: { inc(labels: { step: string; result: string }): void };
  reconcileStepDuration: { observe(labels: { step: string }, seconds: number): void };
  opsRequestTransitions?: { inc(labels: { phase: string }): void };
  reconcileFailures?: { inc(labels: { step: string }): void };
  reconcileErrors?: { inc(labels: { kind: 'step' | 'pass' }): void };
  leader?: { set(value: number): void };
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** The objects the reconciler reads from caches, by informer resource name. A
 *  ClusterIssuer is cluster-scoped: it is read with namespace '' (as InformerView keys it). */
export interface CachedKinds {
  singlestores: Singlestore;
  singlestoreopsrequests: SinglestoreOpsRequest;
  issuers: Issuer;
  clusterissuers: Issuer;
  certificates: Certificate;
  petsets: PetSet;
  pods: Pod;
}
export type CachedKind = keyof CachedKinds;

/**
 * What the reconciler reads without an API call (informer caches in production,
 * src/kube/informer-view.ts; an in-memory store in tests). Owned here, by its consumer.
 * A cache may lag behind the API server: the reconciler writes with resourceVersion
 * preconditions and re-reads on 409, and confirms the decisions that hinge on siblings.
 */
export interface ReconcileCache {
  get<K extends CachedKind>(kind: K, namespace: string, name: string): CachedKinds[K] | undefined;
  /** Every ops request (any type) of one database. */
  listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[];
  /** Called after the cache applied an add, update or delete; returns the unsubscribe.
   *  A cache may leave out the issuer kinds: no stage waits on an issuer (the start reads
   *  it again on every pass), so their events wake nothing. */
  subscribe(listener: (kind: CachedKind, type: 'add' | 'update' | 'delete', obj: CachedKinds[CachedKind]) => void): () => void;
  /** Whether the kind's informer has listed at least once (until then a miss means nothing). */
  hasSynced(kind: CachedKind): boolean;
}
