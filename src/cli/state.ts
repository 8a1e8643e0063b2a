// The ClusterView the CLI checks against: objects from --state files and/or --cluster,
// then the objects in the inputs on top (they are what the cluster will hold after the
// apply). Only the four kinds the rules read join the view.
import { GVK } from '../api/types.js';
import { MemoryView } from '../core/memory-view.js';
import { DEFAULT_NAMESPACE, namespaceOf } from '../core/meta.js';

type Obj = Record<string, unknown>;

const VIEW_KINDS: Record<string, string> = {
  [GVK.singlestore.kind]: GVK.singlestore.group,
  [GVK.opsRequest.kind]: GVK.opsRequest.group,
  [GVK.issuer.kind]: GVK.issuer.group,
  [GVK.clusterIssuer.kind]: GVK.clusterIssuer.group,
};

function metaOf(obj: Obj): Obj | undefined {
  const m = obj.metadata;
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as Obj) : undefined;
}

/** The API group of `apiVersion` (`""` for the core group, undefined when absent). */
export function groupOf(obj: Obj): string | undefined {
  const av = obj.apiVersion;
  if (typeof av !== 'string') return undefined;
  const slash = av.indexOf('/');
  return slash < 0 ? '' : av.slice(0, slash);
}

/**
 * True when `obj` is of `kind` in the group this project knows for it. An object that
 * leaves apiVersion out is taken at its kind (the engine's schema rule judges it).
 */
export function isKind(obj: Obj, kind: string): boolean {
  if (obj.kind !== kind) return false;
  const g = groupOf(obj);
  return g === undefined || g === VIEW_KINDS[kind];
}

export function isViewKind(obj: Obj): boolean {
  return typeof obj.kind === 'string' && obj.kind in VIEW_KINDS && isKind(obj, obj.kind);
}

/**
 * What the API server does before admission: a namespaced object without
 * metadata.namespace lands in the request's namespace, here `default` (SPEC 4).
 * Returns a copy; cluster-scoped ClusterIssuers are left alone.
 */
export function withNamespace(obj: Obj): Obj {
  if (obj.kind === GVK.clusterIssuer.kind) return obj;
  const meta = obj.metadata;
  if (meta === undefined || meta === null) return { ...obj, metadata: { namespace: DEFAULT_NAMESPACE } };
  if (typeof meta !== 'object' || Array.isArray(meta)) return obj; // malformed: the schema rule reports it
  const ns = (meta as Obj).namespace;
  if (ns === undefined || ns === null || ns === '') return { ...obj, metadata: { ...(meta as Obj), namespace: DEFAULT_NAMESPACE } };
  return obj;
}

/** The name a manifest gives (metadata.name, else its generateName prefix, else ''). */
export function manifestName(obj: Obj): string {
  const m = metaOf(obj);
  if (typeof m?.name === 'string') return m.name;
  if (typeof m?.generateName === 'string') return m.generateName;
  return '';
}

function keyOf(obj: Obj): string {
  const ns = obj.kind === GVK.clusterIssuer.kind ? '' : namespaceOf(obj);
  return `${String(obj.kind)}\u0000${ns}\u0000${manifestName(obj)}`;
}

/**
 * Build the view. `state` comes in order (later same-name objects replace earlier
 * ones); `inputs` go on top. When an input replaces a state object, the state object's
 * `status` is kept: an apply never writes status (a subresource for all four kinds), so
 * a completed ops request still in the manifests stays completed, and a Singlestore
 * keeps its phase and conditions.
 */
export function buildView(state: readonly Obj[], inputs: readonly Obj[]): MemoryView {
  const merged = new Map<string, Obj>();
  for (const raw of state) {
    if (!isViewKind(raw)) continue;
    const obj = withNamespace(raw);
    merged.set(keyOf(obj), obj);
  }
  for (const raw of inputs) {
    if (!isViewKind(raw)) continue;
    let obj = withNamespace(raw);
    const key = keyOf(obj);
    const existing = merged.get(key);
    if (existing?.status !== undefined) obj = { ...obj, status: existing.status };
    else if (existing !== undefined) {
      const { status: _dropped, ...rest } = obj;
      obj = rest;
    }
    merged.set(key, obj);
  }
  return MemoryView.from([...merged.values()]);
}

/** Namespaces the inputs touch (for --cluster lookups), sorted. */
export function namespacesOf(inputs: readonly Obj[]): string[] {
  const set = new Set<string>();
  for (const o of inputs) if (isViewKind(o) && o.kind !== GVK.clusterIssuer.kind) set.add(namespaceOf(o));
  return [...set].sort();
}
