// The one engine behind the three front doors (SPEC 1): the webhook, the CLI and the
// reconciler's pre-flight check all call `decide` (or `defaultPatch` + `review`). This
// module is its public face: `decide` lives here, the rest where it is defined.
// PURE: no I/O, no clock, no env.
import type { PatchOp, ReviewResult } from './findings.js';
import { applyPatch, DEFAULT_ENGINE_OPTIONS, defaultPatch, type EngineOptions } from './defaults.js';
import { review, type ReviewInput } from './review.js';

export { applyPatch, DEFAULT_ENGINE_OPTIONS, defaultPatch, PatchError, type EngineOptions } from './defaults.js';
export { review, type ReviewInput } from './review.js';

export interface Decision {
  /** RFC 6902 patch the mutating webhook sends (empty when nothing to default). */
  patch: PatchOp[];
  /** The object with the patch applied: what validation saw. */
  defaulted: unknown;
  result: ReviewResult;
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
