// Condition helpers (KubeDB's kmapi conditions: type == reason, lastTransitionTime kept
// while the status does not change). PURE: the time is passed in.
import type { Condition, ConditionStatus } from '../../api/types.js';
import { STATE_CONDITION } from './names.js';

export function getCondition(conds: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

export function hasCondition(conds: readonly Condition[] | undefined, type: string, status: ConditionStatus = 'True'): boolean {
  return getCondition(conds, type)?.status === status;
}

export interface NewCondition {
  type: string;
  status?: ConditionStatus;
  /** Defaults to the type (KubeDB's helper sets both from one string); `''` writes no
   *  reason at all (KubeDB's per-pod conditions carry none). */
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** A copy of `conds` with `c` set. lastTransitionTime moves only when status changes. */
export function setCondition(conds: readonly Condition[] | undefined, c: NewCondition, nowIso: string): Condition[] {
  const list = [...(conds ?? [])];
  const status = c.status ?? 'True';
  const next: Condition = {
    type: c.type,
    status,
    ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
    ...(c.reason === '' ? {} : { reason: c.reason ?? c.type }),
    message: c.message ?? '',
    lastTransitionTime: nowIso,
  };
  const i = list.findIndex((x) => x.type === c.type);
  const old = i < 0 ? undefined : list[i];
  if (old === undefined) {
    list.push(next);
    return list;
  }
  if (old.status === status && old.lastTransitionTime) next.lastTransitionTime = old.lastTransitionTime;
  list[i] = next;
  return list;
}

export function removeCondition(conds: readonly Condition[] | undefined, type: string): Condition[] {
  return (conds ?? []).filter((c) => c.type !== type);
}

export function isPodReady(conds: readonly Condition[] | undefined): boolean {
  return hasCondition(conds, 'Ready', 'True');
}

/** Latest lastTransitionTime among the step conditions, in ms (undefined when none
 *  parse). The state condition is data, not a step: it never restarts a step's clock. */
export function latestTransition(conds: readonly Condition[] | undefined): number | undefined {
  let best: number | undefined;
  for (const c of conds ?? []) {
    if (c.type === STATE_CONDITION) continue;
    const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
    if (!Number.isNaN(t) && (best === undefined || t > best)) best = t;
  }
  return best;
}
