// The one engine behind the three front doors (SPEC 1): the webhook, the CLI and the
// reconciler's pre-flight check all call `decide` (or `defaultPatch` + `review`).
// PURE: no I/O, no clock, no env.
import type { Operation, PatchOp, ReviewResult } from './findings.js';
import type { ClusterView } from './view.js';
import type { Policy } from './policy.js';
import { applyJsonPatch, defaultsFor } from './defaults.js';
import { reviewObject } from './review.js';

export interface EngineOptions {
  /** Value of spec.timeout written by default-timeout (SPEC 2). Default "10m". */
  defaultTimeout: string;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { defaultTimeout: '10m' };

export interface ReviewInput {
  /** The object under review; for CREATE this should already be defaulted. */
  object: unknown;
  oldObject?: unknown;
  operation: Operation;
  /** Absent: every cluster rule lands in notEvaluated (never passes silently). */
  view?: ClusterView;
  policy?: Policy;
}

export interface Decision {
  /** RFC 6902 patch the mutating webhook sends (empty when nothing to default). */
  patch: PatchOp[];
  /** The object with the patch applied: what validation saw. */
  defaulted: unknown;
  result: ReviewResult;
}

// The engine's public API: the webhook, the CLI and the reconciler's pre-flight call these.


/** SPEC 2: the default patch (RFC 6902) of a ReconfigureTLS request; [] for anything else. */
export function defaultPatch(object: unknown, opts: EngineOptions = DEFAULT_ENGINE_OPTIONS): PatchOp[] {
  return defaultsFor(object, opts.defaultTimeout);
}

/** Apply an RFC 6902 patch; pure, returns a copy (throws PatchError on a bad patch). */
export function applyPatch(object: unknown, patch: PatchOp[]): unknown {
  return applyJsonPatch(object, patch);
}

/** SPEC 3: every finding of every rule in scope. */
export function review(input: ReviewInput): ReviewResult {
  return reviewObject(input);
}

/**
 * Defaults then review, as the API server orders them (mutate, then validate): on CREATE
 * the object is defaulted and the defaulted object reviewed; otherwise the patch is [].
 */
export function decide(input: ReviewInput & { options?: EngineOptions }): Decision {
  const patch = input.operation === 'CREATE' ? defaultPatch(input.object, input.options ?? DEFAULT_ENGINE_OPTIONS) : [];
  const defaulted = patch.length > 0 ? applyPatch(input.object, patch) : input.object;
  // The review input is spelled out (no `{ ...rest, object }`): a spread followed by an
  // added property is a slow path in V8, and this runs on every admission request.
  const args: ReviewInput = { object: defaulted, oldObject: input.oldObject, operation: input.operation };
  if (input.view) args.view = input.view;
  if (input.policy) args.policy = input.policy;
  return { patch, defaulted, result: review(args) };
}

export { PatchError } from './defaults.js';
