// SPEC 3: review(...) -> {errors, warnings, notEvaluated}. Scope:
//   DELETE / CONNECT                    never blocked: empty result
//   UPDATE                              only spec-immutable (status/metadata changes pass);
//                                       applied when the old or new type is ReconfigureTLS
//   CREATE                              schema first; when it fails, nothing else runs
//     type != ReconfigureTLS            schema + tls-ignored only
//     type == ReconfigureTLS            static rules, then cluster rules (view) or
//                                       notEvaluated (no view), then enabled policy rules
import type { SinglestoreOpsRequest } from '../api/types.js';
import type { Operation, ReviewResult } from './findings.js';
import { isRecord } from './is-record.js';
import type { Policy } from './policy.js';
import { clusterRules } from './rules/cluster.js';
import { namespaceOf } from './meta.js';
import { policyRules } from './rules/policy.js';
import { schemaFindings } from './rules/schema.js';
import { STATIC_RULES, specImmutable, tlsIgnored } from './rules/static.js';
import { CLUSTER_RULE_IDS } from './rules/table.js';
import type { ClusterView } from './view.js';

export interface ReviewInput {
  /** The object under review; for CREATE this should already be defaulted. */
  object: unknown;
  oldObject?: unknown;
  operation: Operation;
  /** Absent: every cluster rule lands in notEvaluated (never passes silently). */
  view?: ClusterView;
  policy?: Policy;
}

export const NO_VIEW_REASON = 'no cluster state was given (no ClusterView); cluster rules were not evaluated';

function typeOf(o: unknown): unknown {
  if (!isRecord(o)) return undefined;
  const spec = o['spec'];
  return isRecord(spec) ? spec['type'] : undefined;
}

/** SPEC 3: every finding of every rule in scope. */
export function review(input: ReviewInput): ReviewResult {
  const result: ReviewResult = { errors: [], warnings: [], notEvaluated: [] };
  if (input.operation === 'UPDATE') {
    if (typeOf(input.object) === 'ReconfigureTLS' || typeOf(input.oldObject) === 'ReconfigureTLS') {
      if (input.oldObject === undefined || input.oldObject === null) {
        result.notEvaluated.push({ rule: 'spec-immutable', reason: 'UPDATE without oldObject: the spec cannot be compared' });
      } else {
        result.errors.push(...specImmutable(input.object, input.oldObject));
      }
    }
    return result;
  }
  if (input.operation !== 'CREATE') return result;

  const schema = schemaFindings(input.object);
  if (schema.length > 0) {
    result.errors.push(...schema);
    return result;
  }
  const object = input.object as SinglestoreOpsRequest;
  const spec = object.spec;
  if (!spec) throw new Error('review: an ops request that passed the schema has no spec');
  if (spec.type !== 'ReconfigureTLS') {
    result.warnings.push(...tlsIgnored(spec));
    return result;
  }
  for (const rule of STATIC_RULES) {
    // certificate-names also warns (names cert-manager issues but that are unusual).
    for (const f of rule(spec)) {
      if ('type' in f) result.errors.push(f);
      else result.warnings.push(f);
    }
  }
  if (!spec.tls) return result; // tls-required denied it; nothing else can be judged
  const namespace = namespaceOf(object);
  if (input.view) {
    const c = clusterRules({ object, namespace, view: input.view });
    result.errors.push(...c.errors);
    result.warnings.push(...c.warnings);
    result.notEvaluated.push(...c.notEvaluated);
  } else {
    for (const rule of CLUSTER_RULE_IDS) result.notEvaluated.push({ rule, reason: NO_VIEW_REASON });
  }
  if (input.policy) {
    const p = policyRules({ object, namespace, policy: input.policy, ...(input.view ? { view: input.view } : {}) });
    result.errors.push(...p.errors);
    result.warnings.push(...p.warnings);
    result.notEvaluated.push(...p.notEvaluated);
  }
  return result;
}
