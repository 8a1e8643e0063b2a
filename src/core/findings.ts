// What a review produces. A Finding is one rule's typed field error: it denies. A Warning
// is one rule's remark on one field: it does not. Both stay typed until a door formats
// them (src/core/field/errors.ts: formatFieldError, formatErrorBody, formatAggregate,
// formatWarning), as apimachinery's field.Error is formatted only when it is printed.
import type { FieldError, FieldWarning } from './field/errors.js';
import type { RuleId } from './rules/table.js';

export interface Finding extends FieldError {
  rule: RuleId;
}

export interface Warning extends FieldWarning {
  rule: RuleId;
}

export interface ReviewResult {
  errors: Finding[];
  warnings: Warning[];
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
