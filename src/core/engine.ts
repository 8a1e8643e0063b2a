// The one engine behind the three front doors (SPEC 1): the webhook, the CLI and the
// reconciler's pre-flight check all call `decide` (or `defaultPatch` + `review`).
// PURE: no I/O, no clock, no env.
import type { Operation, PatchOp, ReviewResult } from './findings.js';
import type { ClusterView } from './view.js';
import type { Policy } from './policy.js';

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

// ---------------------------------------------------------------------------------
// The functions below are the engine's public API; their bodies are being written.
// Signatures are the contract the webhook, CLI and reconciler code against.
// ---------------------------------------------------------------------------------
