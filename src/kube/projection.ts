// What the informer caches keep of each object: one table, per kind, of the fields the
// rules and the reconciler read or write back. Everything else (metadata.managedFields,
// the pod spec, container statuses, KubeDB's podTemplates, ...) is dropped AT the
// informer, before the object is stored (see InformerView: the projection is made in
// place, on the very object client-node's ListWatch keeps, so each object is held once).
//
// Who reads what (keep this table and its readers in step; test/kube/projection.test.ts
// runs the readers on full and on projected objects and compares):
//   metadata (every kind)   name, namespace (keys, names in messages), uid (owner
//       references of new Certificates; evicted/replaced pod uids), resourceVersion
//       (client-node's "same version" check; optimistic writes), generation and
//       deletionTimestamp (planner: PetSet observed, Certificate Ready for its generation,
//       pod terminating), creationTimestamp (newest request wins; pod created after the
//       certificates), labels and ownerReferences (certificatePatch compares both),
//       annotations (without kubectl's last-applied-configuration, a whole copy of the
//       object that nothing reads).
//   singlestores            spec.tls (rules; newTLS writes it back whole), spec.halted,
//       spec.topology.{aggregator,leaf}.{replicas,suffix} and spec.replicas (PetSet and pod
//       names), spec.version, spec.deletionPolicy; status.phase, status.observedGeneration,
//       status.conditions (Paused; pause/resume write the list back whole).
//   singlestoreopsrequests  spec and status whole (rules and planner read both; the
//       reconciler writes status back whole).
//   issuers, clusterissuers status.conditions (issuer-not-ready); the spec is not read.
//   certificates            spec whole (certificatePatch compares the managed keys),
//       status.{conditions, revision, notBefore, notAfter, renewalTime} (Ready, Issuing,
//       rotation; markIssuing writes conditions back whole).
//   petsets                 spec.replicas (restart order), spec.template.spec.{containers,
//       volumes} WHOLE: petSetPatch's merge patch replaces both lists with what it computed
//       from them, so a dropped container field would be written away;
//       status.{observedGeneration, replicas, readyReplicas}.
//   pods                    status.phase, status.conditions (Ready); no spec.
//
// A cached object is therefore never a whole object: write merge patches of kept fields
// (as every write here does), never PUT a cached object back.

/** true: keep the value whole; an object: keep only these keys of it (recursively);
 *  a function: the kept value (undefined drops the key). */
export type Keep = true | { readonly [key: string]: Keep } | ((value: unknown) => unknown);

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function withoutLastApplied(value: unknown): unknown {
  if (!isPlainObject(value) || !(LAST_APPLIED in value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== LAST_APPLIED) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

const METADATA: Keep = {
  name: true,
  namespace: true,
  uid: true,
  resourceVersion: true,
  generation: true,
  creationTimestamp: true,
  deletionTimestamp: true,
  labels: true,
  annotations: withoutLastApplied,
  ownerReferences: true,
};

const node = { replicas: true, suffix: true } as const;

/** The projection of each watched kind (keys: the informer resource names). */
export const PROJECTIONS = {
  singlestores: {
    apiVersion: true,
    kind: true,
    metadata: METADATA,
    spec: { version: true, tls: true, halted: true, topology: { aggregator: node, leaf: node }, replicas: true, deletionPolicy: true },
    status: { phase: true, observedGeneration: true, conditions: true },
  },
  singlestoreopsrequests: { apiVersion: true, kind: true, metadata: METADATA, spec: true, status: true },
  issuers: { apiVersion: true, kind: true, metadata: METADATA, status: { conditions: true } },
  clusterissuers: { apiVersion: true, kind: true, metadata: METADATA, status: { conditions: true } },
  certificates: {
    apiVersion: true,
    kind: true,
    metadata: METADATA,
    spec: true,
    status: { conditions: true, revision: true, notBefore: true, notAfter: true, renewalTime: true },
  },
  petsets: {
    apiVersion: true,
    kind: true,
    metadata: METADATA,
    spec: { replicas: true, template: { spec: { containers: true, volumes: true } } },
    status: { observedGeneration: true, replicas: true, readyReplicas: true },
  },
  pods: { apiVersion: true, kind: true, metadata: METADATA, status: { phase: true, conditions: true } },
} as const satisfies Record<string, Keep>;

/** Keeps everything (what the caches held before the projection; the bench's baseline). */
export const KEEP_ALL: Readonly<Record<keyof typeof PROJECTIONS, Keep>> = {
  singlestores: true,
  singlestoreopsrequests: true,
  issuers: true,
  clusterissuers: true,
  certificates: true,
  petsets: true,
  pods: true,
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The kept part of `value` (a new object for an object rule; kept values are shared, not copied). */
export function projectValue(value: unknown, keep: Keep): unknown {
  if (keep === true) return value;
  if (typeof keep === 'function') return keep(value);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, rule] of Object.entries(keep)) {
    if (!(k in value)) continue;
    const v = projectValue(value[k], rule);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Projects `obj` IN PLACE: each kept top-level field is replaced by its projection and
 * every other top-level field is deleted. In place because client-node's ListWatch
 * stores the object it hands to the 'add'/'update' handlers: a projected copy would
 * leave the full object in the ListWatch's map and the lean one in ours (held twice).
 * Idempotent.
 */
export function projectInPlace(obj: object, keep: Keep): void {
  if (keep === true || typeof keep === 'function') return;
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const rule = keep[k];
    if (rule === undefined) {
      Reflect.deleteProperty(o, k);
      continue;
    }
    const v = projectValue(o[k], rule);
    if (v === undefined) Reflect.deleteProperty(o, k);
    else if (v !== o[k]) o[k] = v;
  }
}
