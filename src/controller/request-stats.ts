// What the ops-request gauges of src/metrics.ts report (sdb_tls_guard_ops_requests,
// sdb_tls_guard_ops_request_oldest_age_seconds, sdb_tls_guard_database_paused_seconds),
// computed from the cached requests and databases at scrape time. A pure function of its
// inputs and `now`; main hands it the informer caches.
import type { KubeObject, Singlestore, SinglestoreOpsRequest } from '../api/types.js';
import { Cond, getCondition, PAUSED } from '../core/reconcile/index.js';
import { pauseHolder } from '../core/names.js';
import { phaseLabel, type RequestStats } from '../metrics.js';
import { namespaceOf } from '../core/meta.js';

/** Phases in which a request still has work ahead (SPEC 3b's non-terminal phases). */
const NON_TERMINAL = new Set(['New', 'Pending', 'Progressing', 'WaitingForApproval', 'Approved']);

function time(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** When the request entered its current phase, as far as its object tells: Progressing
 *  from its ReconfigureTLS condition (the start), everything else from its creation. */
function since(r: SinglestoreOpsRequest, phase: string): number | undefined {
  const created = time(r.metadata?.creationTimestamp);
  if (phase === 'Progressing') return time(getCondition(r.status?.conditions, Cond.ReconfigureTLS)?.lastTransitionTime) ?? created;
  return created;
}

/** The Paused condition was written by sdb-tls-guard: its reason, in this project's fixed
 *  format (`SinglestoreOpsRequest <ns>/<name>`, pauseReason/pauseHolder), is the datum. */
export function pausedByGuard(db: Singlestore): { at: number | undefined } | undefined {
  const c = getCondition(db.status?.conditions, PAUSED);
  if (!c || c.status === 'False' || !pauseHolder(c.reason)) return undefined;
  return { at: time(c.lastTransitionTime) };
}

export function requestStats(requests: readonly KubeObject[], databases: readonly KubeObject[], now: number): RequestStats {
  const byPhase = new Map<string, number>();
  const oldest = new Map<string, { namespace: string; database: string; phase: string; at: number }>();
  for (const o of requests) {
    const r = o as SinglestoreOpsRequest;
    if (r.spec?.type !== 'ReconfigureTLS') continue;
    const phase = phaseLabel(r.status?.phase);
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
    if (!NON_TERMINAL.has(phase)) continue;
    const namespace = namespaceOf(r);
    const database = r.spec.databaseRef?.name ?? '';
    const at = since(r, phase);
    if (at === undefined || database === '') continue;
    const k = `${namespace}/${database}/${phase}`;
    const cur = oldest.get(k);
    if (!cur || at < cur.at) oldest.set(k, { namespace, database, phase, at });
  }
  const paused: { namespace: string; database: string; seconds: number }[] = [];
  for (const o of databases) {
    const db = o as Singlestore;
    const p = pausedByGuard(db);
    if (p?.at === undefined) continue;
    paused.push({ namespace: namespaceOf(db), database: db.metadata?.name ?? '', seconds: Math.max(0, (now - p.at) / 1000) });
  }
  return {
    byPhase,
    oldest: [...oldest.values()].map(({ at, ...rest }) => ({ ...rest, seconds: Math.max(0, (now - at) / 1000) })),
    paused,
  };
}
