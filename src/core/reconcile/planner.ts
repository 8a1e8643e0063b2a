// The reconciler's plan vocabulary (SPEC 5): what it observes of one ReconfigureTLS ops
// request and the objects it touches, the actions and status changes a step is made of,
// and the pure helpers the stages (./stages.ts, the chain that decides) share. Every bit
// of progress is a condition on the request's status, so a plan is a function of the
// cluster alone: a fresh process on any replica picks up where the last one stopped.
// PURE: no I/O, no clock (now is passed in).
import type {
  Certificate,
  Condition,
  OpsRequestPhase,
  PetSet,
  Singlestore,
  SinglestoreOpsRequest,
  TLSConfig,
  Pod,
} from '../../api/types.js';
import type { Finding } from '../findings.js';
import { boundText, CONDITION_MESSAGE_MAX, EVENT_MESSAGE_MAX } from '../field/quote.js';
import { getCondition, hasCondition, type NewCondition } from './conditions.js';
import { durationMs } from './duration.js';
import { Cond, PAUSED } from './names.js';
import { pauseReason, petSetNames, podName as podNameOf } from '../names.js';
import type { ReconcileState } from './state.js';
import { newTLS } from './tls.js';

export interface Observed {
  request: SinglestoreOpsRequest;
  /** Every other ops request (any type) for the same database; not the request itself. */
  siblings: SinglestoreOpsRequest[];
  database?: Singlestore;
  /** Certificates of this database that exist (names `<db>-<alias>-cert`). */
  certificates: Certificate[];
  /** Names of this database's TLS Secrets (derived from the aliases, not read: they
   *  may already be gone; deleting a missing Secret is not an error). */
  secrets: string[];
  petSets: PetSet[];
  pods: Pod[];
}

export interface PreflightInput {
  request: SinglestoreOpsRequest;
  database: Singlestore | undefined;
  /** Siblings as they will be once older Pending ReconfigureTLS requests are Skipped. */
  siblings: SinglestoreOpsRequest[];
}

/** Runs the engine's review; returns the deny findings (empty: go ahead). */
export type Preflight = (input: PreflightInput) => Finding[];

export interface PlanOptions {
  preflight?: Preflight;
  /** Per-step timeout when spec.timeout is absent or unparsable (default 10m). */
  defaultTimeoutMs?: number;
  /** Requeue delay while apply: IfReady waits for the database (default 10s). */
  notReadyRequeueMs?: number;
}

export type Action =
  | { kind: 'pauseDatabase'; reason: string; message: string }
  | { kind: 'resumeDatabase'; reason: string }
  | { kind: 'createCertificate'; certificate: Certificate }
  | { kind: 'patchCertificate'; name: string; patch: Record<string, unknown> }
  | { kind: 'markIssuing'; name: string; message: string }
  | { kind: 'deleteCertificate'; name: string }
  | { kind: 'deleteSecret'; name: string }
  | { kind: 'patchPetSet'; name: string; patch: Record<string, unknown> }
  | { kind: 'evictPod'; name: string; uid: string }
  | { kind: 'patchDatabase'; patch: Record<string, unknown> };

export interface StatusChange {
  phase?: OpsRequestPhase;
  condition?: NewCondition;
  /** The request's state after this step (./state.ts), written in the same status patch. */
  state?: ReconcileState;
}

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type Plan =
  | { type: 'done'; reason: string }
  /** requeueAfterMs: the safety net only (a Progressing wait: when spec.timeout would
   *  fire); a watch event on what the stage read wakes it sooner. */
  | { type: 'wait'; step: string; message: string; requeueAfterMs: number }
  | { type: 'act'; step: string; actions: Action[]; status?: StatusChange; event: PlanEvent; failedStep?: string };

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function creationKey(r: SinglestoreOpsRequest): [number, string] {
  const t = r.metadata?.creationTimestamp ? Date.parse(r.metadata.creationTimestamp) : 0;
  return [Number.isNaN(t) ? 0 : t, r.metadata?.name ?? ''];
}

/** Is a newer than b (creationTimestamp, then name)? */
export function isNewer(a: SinglestoreOpsRequest, b: SinglestoreOpsRequest): boolean {
  const [ta, na] = creationKey(a);
  const [tb, nb] = creationKey(b);
  return ta !== tb ? ta > tb : na > nb;
}

export const isTLS = (r: SinglestoreOpsRequest): boolean => r.spec?.type === 'ReconfigureTLS';
export const isPendingPhase = (r: SinglestoreOpsRequest): boolean => !r.status?.phase || r.status.phase === 'Pending';

export function timeoutMs(req: SinglestoreOpsRequest, opts: PlanOptions = {}): number {
  const t = req.spec?.timeout ? durationMs(req.spec.timeout) : undefined;
  return t !== undefined && t > 0 ? t : (opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/** The Paused condition on the database, if this request put it there. */
export function pausedByRequest(db: Singlestore | undefined, req: SinglestoreOpsRequest): Condition | undefined {
  const c = getCondition(db?.status?.conditions, PAUSED);
  return c?.reason === pauseReason(req) ? c : undefined;
}

/**
 * Replicas KubeDB's Singlestore webhook defaults a topology node to when
 * `spec.topology.<role>.replicas` is absent (kubedb/apimachinery
 * apis/kubedb/v1alpha2/singlestore_helpers.go, SetDefaults: aggregator 3, leaf 2). A
 * standalone Singlestore runs one pod.
 */
export const KUBEDB_DEFAULT_REPLICAS = { aggregator: 3, leaf: 2, standalone: 1 } as const;

/** Pods a PetSet of the database runs: the PetSet's own replicas, else the database's, else KubeDB's default. */
export function replicasOf(db: Singlestore, role: 'aggregator' | 'leaf' | 'standalone', ps?: PetSet): number {
  if (ps?.spec?.replicas !== undefined) return ps.spec.replicas;
  const given = role === 'standalone' ? db.spec?.replicas : db.spec?.topology?.[role]?.replicas;
  return given ?? KUBEDB_DEFAULT_REPLICAS[role];
}

/** Pod names to restart, aggregators first, each PetSet by ordinal. */
export function restartOrder(db: Singlestore, petSets: readonly PetSet[]): string[] {
  const out: string[] = [];
  for (const { name, role } of petSetNames(db)) {
    const ps = petSets.find((p) => p.metadata?.name === name);
    const n = replicasOf(db, role, ps);
    for (let i = 0; i < n; i++) out.push(podNameOf(name, i));
  }
  return out;
}

/** The desired TLS the request leads to (null for remove). */
export function targetTLS(obs: Observed): TLSConfig | null {
  return newTLS(obs.database?.spec?.tls, obs.request.spec?.tls, obs.database?.metadata?.name ?? obs.request.spec?.databaseRef?.name);
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

// Condition and Event messages are bounded (docs/security.md): they name objects and
// repeat findings and error texts. Cut at the end only (no run is cut in place), so a
// message of real Kubernetes names is never touched.
export const conditionText = (m: string): string => boundText(m, CONDITION_MESSAGE_MAX, CONDITION_MESSAGE_MAX);
export const eventText = (m: string): string => boundText(m, EVENT_MESSAGE_MAX, EVENT_MESSAGE_MAX);

function withBoundedCondition(status: StatusChange | undefined): StatusChange | undefined {
  if (!status?.condition?.message) return status;
  return { ...status, condition: { ...status.condition, message: conditionText(status.condition.message) } };
}

export function act(step: string, actions: Action[], message: string, status?: StatusChange): Plan {
  const st = withBoundedCondition(status);
  return {
    type: 'act',
    step,
    actions,
    ...(st ? { status: st } : {}),
    event: { type: 'Normal', reason: step, message: eventText(message) },
  };
}

export function record(step: string, message: string, actions: Action[] = [], state?: ReconcileState): Plan {
  return act(step, actions, message, { condition: { type: step, status: 'True', reason: step, message }, ...(state ? { state } : {}) });
}

/** A per-pod condition (GetPod--, EvictPod--, CheckPodReady--): no reason, as KubeDB's. */
export function recordPod(step: string, message: string, actions: Action[] = [], state?: ReconcileState): Plan {
  return act(step, actions, message, { condition: { type: step, status: 'True', reason: '', message }, ...(state ? { state } : {}) });
}

export function wait(step: string, message: string, ms: number): Plan {
  return { type: 'wait', step, message: conditionText(message), requeueAfterMs: ms };
}

/** Fail the request; resume the database first if this request paused it. `failedStep`
 *  (data for the metrics, never parsed from the message): the step that did not finish,
 *  or `Preflight` when the pre-flight review refused the request. */
export function failPlan(obs: Observed, message: string, failedStep = 'Preflight'): Plan {
  const actions: Action[] = [];
  if (pausedByRequest(obs.database, obs.request)) actions.push({ kind: 'resumeDatabase', reason: pauseReason(obs.request) });
  return {
    type: 'act',
    step: Cond.Failed,
    actions,
    status: { phase: 'Failed', condition: { type: Cond.Failed, status: 'True', reason: Cond.Failed, message: conditionText(message) } },
    event: { type: 'Warning', reason: Cond.Failed, message: eventText(message) },
    failedStep,
  };
}

/**
 * The earliest creation time (ms, whole seconds as creationTimestamp has them) a restarted
 * pod may have: when the certificates were synced (every Certificate Ready with its new
 * revision) and the PetSets updated — both recorded as the lastTransitionTime of their
 * conditions on the request.
 */
export function restartBaseline(conds: readonly Condition[] | undefined): number | undefined {
  let best: number | undefined;
  for (const type of [Cond.CertificateSynced, Cond.UpdatePetSets]) {
    const t = Date.parse(getCondition(conds, type)?.lastTransitionTime ?? '');
    if (!Number.isNaN(t) && (best === undefined || t > best)) best = t;
  }
  return best === undefined ? undefined : Math.floor(best / 1000) * 1000;
}

/** "<name>: Ready=False (DoesNotExist: …), Issuing=True (…)" — what cert-manager says of it. */
export function certificateState(c: Certificate): string {
  const parts = ['Ready', 'Issuing'].map((type) => {
    const x = getCondition(c.status?.conditions, type);
    if (!x) return `${type} unset`;
    const why = [x.reason, x.message].filter((v) => v).join(': ');
    return `${type}=${x.status}${why ? ` (${why})` : ''}`;
  });
  return `${c.metadata?.name ?? ''} revision ${c.status?.revision ?? 0}: ${parts.join(', ')}`;
}

/** Ready for its current generation and not (being) re-issued. */
export function certificateReady(c: Certificate): boolean {
  const ready = getCondition(c.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  const gen = c.metadata?.generation;
  if (gen !== undefined && ready.observedGeneration !== undefined && ready.observedGeneration < gen) return false;
  return !hasCondition(c.status?.conditions, 'Issuing', 'True');
}
