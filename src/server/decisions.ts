// The two webhook decisions over a decoded AdmissionRequest. No HTTP here: the routes
// decode, call one of these, log and count the outcome. An exception thrown by the
// engine is caught here and turned into an answer (never an HTTP error).
import { GVK } from '../api/types.js';
import type { Decision, EngineOptions, ReviewInput } from '../core/engine.js';
import type { PatchOp, ReviewResult } from '../core/findings.js';
import { withKey } from '../core/copy.js';
import type { Policy } from '../core/policy.js';
import type { ClusterView } from '../core/view.js';
import type { AdmissionRequest, AdmissionResponse } from '../admission/review.js';
import { allowResponse, defaultIdOf, internalErrorResponse, patchResponse, reviewResponse, ruleIds } from '../admission/responses.js';
import type { ReviewVerdict } from '../metrics.js';
import { isRecord } from '../core/is-record.js';

/** The engine functions the webhook needs (injectable so tests can make it throw). */
export interface AdmissionEngine {
  decide(input: ReviewInput & { options?: EngineOptions }): Decision;
  /**
   * The default patch alone (decide's `patch` on a CREATE). /mutate uses it when given:
   * it needs the patch, not the review. Without it /mutate takes decide's patch.
   */
  defaultPatch?(object: unknown, options: EngineOptions): PatchOp[];
}

export interface DecisionContext {
  engine: AdmissionEngine;
  engineOptions: EngineOptions;
  /** Absent: cluster rules are not evaluated (no kubeconfig). */
  view?: ClusterView;
  policy?: Policy;
}

export interface Outcome {
  response: AdmissionResponse;
  verdict: ReviewVerdict;
  /** Rule ids that denied / warned, and default ids that patched (mutate). */
  rules: { deny: string[]; warn: string[]; default: string[] };
  warnings: number;
  notEvaluated: string[];
  /** Why no rule ran at all (not our kind, DELETE, ...). */
  skipped?: string;
  /** The engine's exception, for the log (never sent to the client beyond its message). */
  error?: unknown;
}


/** Only SinglestoreOpsRequests are judged; anything else is let through untouched. */
export function isGuardedKind(req: AdmissionRequest): boolean {
  return req.kind.group === GVK.opsRequest.group && req.kind.kind === GVK.opsRequest.kind;
}

/**
 * The API server fills metadata.namespace before admission, but a hand-made review may
 * leave it out; the cluster rules need it, so take it from request.namespace.
 */
export function withRequestNamespace(object: unknown, namespace: string | undefined): unknown {
  if (!namespace || !isRecord(object)) return object;
  const meta = object['metadata'];
  if (meta !== undefined && !isRecord(meta)) return object;
  if (isRecord(meta) && typeof meta['namespace'] === 'string' && meta['namespace'] !== '') return object;
  // Not spread + an added key: a slow path in V8 (see src/core/copy.ts).
  return withKey(object, 'metadata', withKey(meta ?? {}, 'namespace', namespace));
}

export function objectName(req: AdmissionRequest): string | undefined {
  for (const o of [req.object, req.oldObject]) {
    if (isRecord(o) && isRecord(o['metadata'])) {
      const n = o['metadata']['name'];
      if (typeof n === 'string' && n !== '') return n;
    }
  }
  return req.name || undefined;
}

function skip(uid: string, why: string): Outcome {
  return { response: allowResponse(uid), verdict: 'allowed', rules: { deny: [], warn: [], default: [] }, warnings: 0, notEvaluated: [], skipped: why };
}

function skipReason(req: AdmissionRequest): string | undefined {
  if (!isGuardedKind(req)) return `not a ${GVK.opsRequest.kind}`;
  if (req.operation === 'DELETE' || req.operation === 'CONNECT') return `${req.operation} is never blocked`;
  return undefined;
}

function runEngine(req: AdmissionRequest, ctx: DecisionContext): Decision {
  const input: Parameters<AdmissionEngine['decide']>[0] = {
    object: withRequestNamespace(req.object, req.namespace),
    oldObject: req.oldObject === null ? undefined : withRequestNamespace(req.oldObject, req.namespace),
    operation: req.operation,
    options: ctx.engineOptions,
  };
  if (ctx.view) input.view = ctx.view;
  if (ctx.policy) input.policy = ctx.policy;
  return ctx.engine.decide(input);
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** POST /validate: review the object; deny on any error finding. */
export function validateRequest(req: AdmissionRequest, ctx: DecisionContext): Outcome {
  const why = skipReason(req);
  if (why) return skip(req.uid, why);
  let result: ReviewResult;
  try {
    result = runEngine(req, ctx).result;
  } catch (err) {
    return {
      response: internalErrorResponse(req.uid, `sdb-tls-guard: internal error while reviewing the request: ${describeError(err)}`),
      verdict: 'error',
      rules: { deny: [], warn: [], default: [] },
      warnings: 0,
      notEvaluated: [],
      error: err,
    };
  }
  const response = reviewResponse(req.uid, result, { name: objectName(req), group: req.kind.group, kind: req.kind.kind });
  return {
    response,
    verdict: response.allowed ? 'allowed' : 'denied',
    rules: { deny: ruleIds(result.errors), warn: ruleIds(result.warnings), default: [] },
    warnings: result.warnings.length,
    notEvaluated: ruleIds(result.notEvaluated),
  };
}

export const DEFAULTS_NOT_APPLIED = 'sdb-tls-guard: defaults were not applied because of an internal error; see the webhook log';

/** POST /mutate: the defaults as a JSON Patch. Never denies. */
export function mutateRequest(req: AdmissionRequest, ctx: DecisionContext): Outcome {
  const why = skipReason(req);
  if (why) return skip(req.uid, why);
  try {
    // Only CREATE is defaulted (decide's patch is [] otherwise); the review is /validate's.
    const patch = ctx.engine.defaultPatch ? (req.operation === 'CREATE' ? ctx.engine.defaultPatch(req.object, ctx.engineOptions) : []) : runEngine(req, ctx).patch;
    return {
      response: patchResponse(req.uid, patch),
      verdict: 'allowed',
      rules: { deny: [], warn: [], default: [...new Set(patch.map(defaultIdOf))] },
      warnings: 0,
      notEvaluated: [],
    };
  } catch (err) {
    // Fail open on the mutating side: the validating webhook runs the same engine on
    // the same object and refuses it there (code 500), so nothing unchecked gets in.
    return {
      response: patchResponse(req.uid, [], [DEFAULTS_NOT_APPLIED]),
      verdict: 'error',
      rules: { deny: [], warn: [], default: [] },
      warnings: 1,
      notEvaluated: [],
      error: err,
    };
  }
}
