// An in-memory ClusterView (tests, CLI --state, and the base the informer view can
// reuse). Indexed for the webhook's hot path: Singlestores and Issuers by
// "<namespace>/<name>", ops requests by "<namespace>/<database>" then by name.
import type { Issuer, Singlestore, SinglestoreOpsRequest } from '../api/types.js';
import type { ClusterView } from './view.js';
import { namespaceOf } from './meta.js';

type Kind = 'Singlestore' | 'SinglestoreOpsRequest' | 'Issuer' | 'ClusterIssuer';

interface Meta {
  kind: Kind;
  namespace: string;
  name: string;
}

function metaOf(obj: unknown): Meta | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = o.kind;
  if (kind !== 'Singlestore' && kind !== 'SinglestoreOpsRequest' && kind !== 'Issuer' && kind !== 'ClusterIssuer') return undefined;
  const name = o.metadata?.name;
  if (typeof name !== 'string' || name === '') return undefined;
  return { kind, name, namespace: kind === 'ClusterIssuer' ? '' : namespaceOf(o) };
}

/** The items of a `kind: List` (or `<Kind>List`) object, as `kubectl get -o yaml` prints. */
function listItems(obj: unknown): unknown[] | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as { kind?: unknown; items?: unknown };
  return typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items) ? o.items : undefined;
}

function databaseOf(r: SinglestoreOpsRequest): string {
  const d = r.spec?.databaseRef?.name;
  return typeof d === 'string' ? d : '';
}

export class MemoryView implements ClusterView {
  private readonly singlestores = new Map<string, Singlestore>();
  private readonly issuers = new Map<string, Issuer>();
  private readonly clusterIssuers = new Map<string, Issuer>();
  /** "<ns>/<database>" -> name -> request */
  private readonly ops = new Map<string, Map<string, SinglestoreOpsRequest>>();
  /** "<ns>/<name>" -> "<ns>/<database>" it is filed under */
  private readonly opsIndex = new Map<string, string>();

  /** A view holding `objs` (later objects of the same kind/namespace/name win). */
  static from(objs: readonly unknown[]): MemoryView {
    const v = new MemoryView();
    for (const o of objs) v.add(o);
    return v;
  }

  /**
   * Add or replace one object. Kinds other than Singlestore, SinglestoreOpsRequest,
   * Issuer and ClusterIssuer (and objects without a name) are ignored; returns whether
   * the object was taken. A missing namespace means "default". A `kind: List` adds its items.
   */
  add(obj: unknown): boolean {
    // Lists nest; an explicit work list (not recursion) keeps any depth off the call
    // stack. Items are taken in order, so a later duplicate replaces an earlier one.
    let any = false;
    const work: unknown[] = [obj];
    while (work.length > 0) {
      const o = work.pop();
      const items = listItems(o);
      if (items) {
        for (let i = items.length - 1; i >= 0; i--) work.push(items[i]);
        continue;
      }
      if (this.addOne(o)) any = true;
    }
    return any;
  }

  private addOne(obj: unknown): boolean {
    const m = metaOf(obj);
    if (!m) return false;
    const key = `${m.namespace}/${m.name}`;
    switch (m.kind) {
      case 'Singlestore':
        this.singlestores.set(key, obj as Singlestore);
        break;
      case 'Issuer':
        this.issuers.set(key, obj as Issuer);
        break;
      case 'ClusterIssuer':
        this.clusterIssuers.set(m.name, obj as Issuer);
        break;
      case 'SinglestoreOpsRequest': {
        this.removeOps(key, m.name);
        const r = obj as SinglestoreOpsRequest;
        const dbKey = `${m.namespace}/${databaseOf(r)}`;
        let byName = this.ops.get(dbKey);
        if (!byName) {
          byName = new Map();
          this.ops.set(dbKey, byName);
        }
        byName.set(m.name, r);
        this.opsIndex.set(key, dbKey);
        break;
      }
    }
    return true;
  }

  /** Remove one object (matched by kind, namespace and name); returns whether it was there. */
  remove(obj: unknown): boolean {
    const m = metaOf(obj);
    if (!m) return false;
    const key = `${m.namespace}/${m.name}`;
    switch (m.kind) {
      case 'Singlestore':
        return this.singlestores.delete(key);
      case 'Issuer':
        return this.issuers.delete(key);
      case 'ClusterIssuer':
        return this.clusterIssuers.delete(m.name);
      case 'SinglestoreOpsRequest':
        return this.removeOps(key, m.name);
    }
  }

  private removeOps(key: string, name: string): boolean {
    const dbKey = this.opsIndex.get(key);
    if (dbKey === undefined) return false;
    this.opsIndex.delete(key);
    const byName = this.ops.get(dbKey);
    if (!byName) return false;
    byName.delete(name);
    if (byName.size === 0) this.ops.delete(dbKey);
    return true;
  }

  getSinglestore(namespace: string, name: string): Singlestore | undefined {
    return this.singlestores.get(`${namespace}/${name}`);
  }

  listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[] {
    const byName = this.ops.get(`${namespace}/${database}`);
    return byName ? [...byName.values()] : [];
  }

  getIssuer(namespace: string, name: string): Issuer | undefined {
    return this.issuers.get(`${namespace}/${name}`);
  }

  getClusterIssuer(name: string): Issuer | undefined {
    return this.clusterIssuers.get(name);
  }

  /** Counts per kind (for metrics and /readyz). */
  size(): { singlestores: number; opsRequests: number; issuers: number; clusterIssuers: number } {
    return {
      singlestores: this.singlestores.size,
      opsRequests: this.opsIndex.size,
      issuers: this.issuers.size,
      clusterIssuers: this.clusterIssuers.size,
    };
  }
}
