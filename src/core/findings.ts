// What a review produces. A Finding is one rule's verdict on one field; errors deny,
// warnings do not.
import type { FieldErrorType } from './field/errors.js';

export type RuleId =
  // 3a static
  | 'schema'
  | 'tls-required'
  | 'one-operation'
  | 'issuer-ref'
  | 'certificate-alias'
  | 'certificate-names'
  | 'certificate-duration'
  | 'timeout'
  | 'database-ref'
  | 'spec-immutable'
  | 'tls-ignored'
  // 3b cluster
  | 'database-exists'
  | 'database-halted'
  | 'database-paused'
  | 'tls-op-in-flight'
  | 'tls-op-superseded'
  | 'op-in-flight'
  | 'tls-not-enabled'
  | 'issuer-exists'
  | 'issuer-not-ready'
  | 'database-not-ready'
  | 'no-op'
  // 3c policy
  | 'allowed-issuers'
  | 'tls-removal-protected'
  | 'certificate-duration-bounds'
  | 'private-key-encoding';

export type DefaultId = 'default-apply' | 'default-issuer-group' | 'default-timeout';

export interface Finding {
  rule: RuleId;
  /** Field path like the API server's, e.g. `spec.tls.certificates[0].alias`. */
  field: string;
  /** Present on errors; warnings may leave it out. */
  type?: FieldErrorType;
  /** Full message like the API server's: `<field>: <Type text>: <value>: <detail>`. */
  message: string;
}

export interface ReviewResult {
  errors: Finding[];
  warnings: Finding[];
  /** Rule ids that could not run (no ClusterView, or skipped on purpose) and why. */
  notEvaluated: { rule: RuleId; reason: string }[];
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** RFC 6902 JSON Patch operation (only the forms the defaulter emits). */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}
