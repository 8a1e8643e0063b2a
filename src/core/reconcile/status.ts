// Status arithmetic for the ops request and the database's Paused condition. PURE.
import type { Condition, Singlestore, SinglestoreOpsRequest, SinglestoreOpsRequestStatus } from '../../api/types.js';
import { getCondition, removeCondition, setCondition } from './conditions.js';
import { PAUSED } from './names.js';
import type { StatusChange } from './planner.js';
import { stateCondition } from './state.js';

/** The request's status after `change` (a copy; conditions keep their order). */
export function nextStatus(req: SinglestoreOpsRequest, change: StatusChange, nowIso: string): SinglestoreOpsRequestStatus {
  const old = req.status ?? {};
  const out: SinglestoreOpsRequestStatus = { ...old };
  if (change.phase) out.phase = change.phase;
  if (req.metadata?.generation !== undefined) out.observedGeneration = req.metadata.generation;
  if (change.condition) {
    const c = { ...change.condition };
    if (req.metadata?.generation !== undefined) c.observedGeneration = req.metadata.generation;
    out.conditions = setCondition(old.conditions, c, nowIso);
  }
  if (change.state) {
    const c = stateCondition(change.state);
    if (req.metadata?.generation !== undefined) c.observedGeneration = req.metadata.generation;
    out.conditions = setCondition(out.conditions, c, nowIso);
  }
  return out;
}

/** Database conditions with our Paused added (undefined when already there as True). */
export function pausedConditions(db: Singlestore, reason: string, message: string, nowIso: string): Condition[] | undefined {
  const c = getCondition(db.status?.conditions, PAUSED);
  if (c?.status === 'True' && c.reason === reason) return undefined;
  return setCondition(db.status?.conditions, { type: PAUSED, status: 'True', reason, message }, nowIso);
}

/** Database conditions without the Paused condition whose reason is `reason` (undefined: nothing to do). */
export function resumedConditions(db: Singlestore, reason: string): Condition[] | undefined {
  const c = getCondition(db.status?.conditions, PAUSED);
  if (c?.reason !== reason) return undefined;
  return removeCondition(db.status?.conditions, PAUSED);
}
