// The reconciler's pre-flight review (SPEC 5.2): the engine's review of the request as a
// CREATE, against a view in which the database and the sibling requests are the ones
// just observed (older Pending ReconfigureTLS requests already shown as Skipped).
// PURE: the engine's decide function is passed in.
import type { Issuer, Singlestore, SinglestoreOpsRequest } from '../../api/types.js';
import type { Decision, EngineOptions, ReviewInput } from '../engine.js';
import type { Finding } from '../findings.js';
import type { Policy } from '../policy.js';
import type { ClusterView } from '../view.js';
import type { Preflight, PreflightInput } from './planner.js';
import { namespaceOf } from '../meta.js';

export type DecideFn = (input: ReviewInput & { options?: EngineOptions }) => Decision;

export interface PrefetchedIssuers {
  issuers: Map<string, Issuer | undefined>; // key ns/name
  clusterIssuers: Map<string, Issuer | undefined>;
}

/** `base` (informer caches) with the observed database, requests and issuers on top. */
export function overlayView(base: ClusterView | undefined, input: PreflightInput, fetched?: PrefetchedIssuers): ClusterView {
  const ns = namespaceOf(input.request);
  const dbName = input.request.spec?.databaseRef?.name ?? '';
  return {
    getSinglestore(namespace: string, name: string): Singlestore | undefined {
      if (namespace === ns && name === dbName) return input.database;
      return base?.getSinglestore(namespace, name);
    },
    listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[] {
      if (namespace === ns && database === dbName) return [input.request, ...input.siblings];
      return base?.listOpsRequests(namespace, database) ?? [];
    },
    getIssuer(namespace: string, name: string): Issuer | undefined {
      const key = `${namespace}/${name}`;
      if (fetched?.issuers.has(key)) return fetched.issuers.get(key);
      return base?.getIssuer(namespace, name);
    },
    getClusterIssuer(name: string): Issuer | undefined {
      if (fetched?.clusterIssuers.has(name)) return fetched.clusterIssuers.get(name);
      return base?.getClusterIssuer(name);
    },
  };
}

/** Issuer references ({kind, name}) a request makes (top level and per certificate). */
export function referencedIssuers(req: SinglestoreOpsRequest): { kind: string; name: string }[] {
  const out: { kind: string; name: string }[] = [];
  const tls = req.spec?.tls;
  const add = (r: { kind?: string; name?: string } | undefined): void => {
    if (r?.kind && r.name && !out.some((x) => x.kind === r.kind && x.name === r.name)) out.push({ kind: r.kind, name: r.name });
  };
  add(tls?.issuerRef);
  for (const c of tls?.certificates ?? []) add(c.issuerRef);
  return out;
}

export interface PreflightDeps {
  decide: DecideFn;
  base?: ClusterView;
  policy?: Policy;
  engineOptions?: EngineOptions;
  fetched?: PrefetchedIssuers;
}

export function makePreflight(deps: PreflightDeps): Preflight {
  return (input: PreflightInput): Finding[] => {
    const view = overlayView(deps.base, input, deps.fetched);
    const d = deps.decide({
      object: input.request,
      operation: 'CREATE',
      view,
      ...(deps.policy ? { policy: deps.policy } : {}),
      ...(deps.engineOptions ? { options: deps.engineOptions } : {}),
    });
    return d.result.errors;
  };
}
