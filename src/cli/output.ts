// The two output formats of `check` (SPEC 4). Pure: results in, text out.
// Everything a manifest controls is bounded here as in the webhook's answers
// (src/core/field/quote.ts, docs/security.md): findings arrive typed and are formatted
// here, once, by src/core/field/errors.ts (which bounds them); the namespace and name,
// the not-evaluated reasons and the patch values are cut and escaped where they are
// printed.
import { formatFieldError, formatWarning, type FieldErrorType } from '../core/field/errors.js';
import { boundText, MESSAGE_MAX, NAME_MAX, quote } from '../core/field/quote.js';
import type { Finding, PatchOp, Warning } from '../core/findings.js';
import type { RuleId } from '../core/rules/table.js';

export interface CheckError {
  rule: RuleId;
  field: string;
  type: FieldErrorType;
  message: string;
}

export interface CheckWarning {
  rule: RuleId;
  field: string;
  message: string;
}

/** One checked SinglestoreOpsRequest, exactly the JSON shape of SPEC 4. */
export interface CheckResult {
  source: string;
  namespace: string;
  name: string;
  allowed: boolean;
  errors: CheckError[];
  warnings: CheckWarning[];
  /** The JSON Patch the mutating webhook would send. */
  patch: PatchOp[];
  /** Ids of the rules that did not run, in the engine's order (no duplicates). */
  notEvaluated: RuleId[];
}

export interface CheckReport {
  results: CheckResult[];
  summary: { checked: number; denied: number; warned: number };
}

/** Why rules were not evaluated, for the text output (engine reasons grouped). */
export interface NotEvaluatedGroup {
  reason: string;
  rules: RuleId[];
  /** True when these are cluster rules skipped for want of a state source. */
  noState: boolean;
}

/** One checked request as the engine judged it: its findings still typed. */
export interface Checked {
  source: string;
  namespace: string;
  name: string;
  allowed: boolean;
  errors: Finding[];
  warnings: Warning[];
  patch: PatchOp[];
  /** Ids of the rules that did not run, in the engine's order (no duplicates). */
  notEvaluated: RuleId[];
  notEvaluatedGroups: NotEvaluatedGroup[];
}

export function summarize(results: readonly Checked[]): CheckReport['summary'] {
  return {
    checked: results.length,
    denied: results.filter((r) => !r.allowed).length,
    warned: results.filter((r) => r.warnings.length > 0).length,
  };
}

/** A manifest's namespace and name may be anything: shown as a Kubernetes name can be. */
const name = (s: string): string => boundText(s, NAME_MAX);
/** Where a manifest came from (`<path>#<n>`): a path may hold any byte, a newline too, and
 *  be of any length; escaped and cut like every message (docs/security.md). */
const sourceText = (s: string): string => boundText(s, MESSAGE_MAX);

export function formatJson(results: readonly Checked[]): string {
  const report: CheckReport = {
    results: results.map((r) => ({
      source: sourceText(r.source),
      namespace: name(r.namespace),
      name: name(r.name),
      allowed: r.allowed,
      errors: r.errors.map((e) => ({ rule: e.rule, field: e.field, type: e.type, message: formatFieldError(e) })),
      warnings: r.warnings.map((w) => ({ rule: w.rule, field: w.field, message: formatWarning(w) })),
      patch: r.patch,
      notEvaluated: r.notEvaluated,
    })),
    summary: summarize(results),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** JSON.stringify as it behaves: undefined for a function or a symbol (its type says string). */
const jsonText = (v: unknown): string | undefined => JSON.stringify(v);

function showValue(v: unknown): string {
  return v === undefined ? '' : `=${typeof v === 'string' ? quote(v) : boundText(jsonText(v) ?? '', MESSAGE_MAX)}`;
}

/**
 * kubectl-like text, one line per finding:
 *   dir/ops.yaml#1: SinglestoreOpsRequest demo/sdbops-rotate: denied: [database-paused] spec.databaseRef: Forbidden: ...
 *   Warning: dir/ops.yaml#1: SinglestoreOpsRequest demo/x: [op-in-flight] spec.databaseRef: ...
 *   dir/ops.yaml#1: SinglestoreOpsRequest demo/x: allowed (2 defaults: add /spec/apply="IfReady", add /spec/timeout="10m")
 *   dir/ops.yaml#1 demo/x: 11 cluster rules not evaluated (no --state or --cluster)
 * then one summary line.
 */
export function formatText(results: readonly Checked[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const id = `${name(r.namespace)}/${r.name === '' ? '<no name>' : name(r.name)}`;
    const source = sourceText(r.source);
    const who = `${source}: SinglestoreOpsRequest ${id}`;
    for (const e of r.errors) lines.push(`${who}: denied: [${e.rule}] ${formatFieldError(e)}`);
    for (const w of r.warnings) lines.push(`Warning: ${who}: [${w.rule}] ${formatWarning(w)}`);
    if (r.allowed) {
      const n = r.patch.length;
      const ops = r.patch.map((p) => `${p.op} ${p.path}${showValue(p.value)}`).join(', ');
      lines.push(`${who}: allowed (${n === 0 ? 'no defaults to apply' : `${n} default${n === 1 ? '' : 's'}: ${ops}`})`);
    }
    for (const g of r.notEvaluatedGroups) {
      const n = g.rules.length;
      if (g.noState) lines.push(`${source} ${id}: ${n} cluster rule${n === 1 ? '' : 's'} not evaluated (no --state or --cluster)`);
      else lines.push(`${source} ${id}: ${n} rule${n === 1 ? '' : 's'} not evaluated (${boundText(g.reason, MESSAGE_MAX)}): ${g.rules.join(', ')}`);
    }
  }
  const s = summarize(results);
  const noState = results.some((r) => r.notEvaluatedGroups.some((g) => g.noState));
  lines.push(
    `${s.checked} SinglestoreOpsRequest${s.checked === 1 ? '' : 's'} checked: ${s.checked - s.denied} allowed, ${s.denied} denied, ${s.warned} with warnings` +
      (noState ? '; cluster rules NOT evaluated (give --state or --cluster)' : ''),
  );
  return `${lines.join('\n')}\n`;
}
