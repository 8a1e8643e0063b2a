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
import type { Policy } from './policy.js';
import { CLUSTER_RULE_IDS, clusterRules } from './rules/cluster.js';
import { isPlainObject } from './rules/common.js';
import { namespaceOf } from './meta.js';
import { policyRules } from './rules/policy.js';
import { schemaFindings } from './rules/schema.js';
import { STATIC_RULES, specImmutable, tlsIgnored } from './rules/static.js';
import type { ClusterView } from './view.js';

export interface ReviewArgs {
  object: unknown;
  oldObject?: unknown;
  operation: Operation;
  view?: ClusterView;
  policy?: Policy;
}

export const NO_VIEW_REASON = 'no cluster state was given (no ClusterView); cluster rules were not evaluated';

function typeOf(o: unknown): unknown {
  if (!isPlainObject(o)) return undefined;
  const spec = o['spec'];
  return isPlainObject(spec) ? spec['type'] : undefined;
}

export function reviewObject(input: ReviewArgs): ReviewResult {
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
  const spec = object.spec!;
  if (spec.type !== 'ReconfigureTLS') {
    result.warnings.push(...tlsIgnored(spec));
    return result;
  }
  for (const rule of STATIC_RULES) {
    // A finding without a field-error type is a warning (certificate-names warns about
    // names cert-manager issues but that are still unusual).
    for (const f of rule(spec)) (f.type === undefined ? result.warnings : result.errors).push(f);
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
