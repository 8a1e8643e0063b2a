// AdmissionResponse builders. PURE: typed findings in, wire response out; each finding
// is formatted here, once (src/core/field/errors.ts).
import { aggregate, CAUSE_REASON, fieldLine, formatErrorBody, formatWarning } from '../core/field/errors.js';
import { boundText, MESSAGE_MAX, NAME_MAX, WARNING_MAX } from '../core/field/quote.js';
import type { Finding, PatchOp, ReviewResult, Warning } from '../core/findings.js';
import type { AdmissionResponse, StatusCause } from './review.js';

/**
 * Audit annotation keys. The API server prefixes each key with the webhook's name
 * (`validate.sdb-tls-guard.io/denied-by`) and drops keys that are not a valid
 * qualified name after prefixing, so these must not contain a `/` themselves.
 */
export const AUDIT_DENIED_BY = 'denied-by';
export const AUDIT_WARNED_BY = 'warned-by';
export const AUDIT_NOT_EVALUATED = 'not-evaluated';
export const AUDIT_DEFAULTED = 'defaulted';

/** What the denial's status.details names: the object and its group/kind. */
export interface DenialTarget {
  name?: string;
  group?: string;
  kind?: string;
}

/** Unique ids in first-seen order. */
export function ruleIds(findings: readonly { rule: string }[]): string[] {
  const seen = new Set<string>();
  for (const f of findings) seen.add(f.rule);
  return [...seen];
}

/** A StatusCause as the API server makes one of a field.Error: its type, its field, its body (formatErrorBody). */
export function toCause(f: Finding, body: string): StatusCause {
  return { reason: CAUSE_REASON[f.type], message: body, field: f.field };
}

/**
 * At most this many causes and warnings in one answer (docs/security.md): the number of
 * findings grows with the number of elements in the request (10,000 bad dnsNames are
 * 10,000 findings), the answer must not. A real request has a handful.
 */
export const MAX_CAUSES = 100;
export const MAX_WARNINGS = 20;

/**
 * The warnings of an answer: the first MAX_WARNINGS, then one saying how many more there
 * were. Each is a single printable line of at most WARNING_MAX characters (formatWarning
 * escapes control characters and cuts), as the API server wants them.
 */
export function warningTexts(findings: readonly Warning[]): string[] {
  if (findings.length <= MAX_WARNINGS) return findings.map(formatWarning);
  const out = findings.slice(0, MAX_WARNINGS - 1).map(formatWarning);
  const rest = findings.length - out.length;
  out.push(`and ${rest} more warnings (rules: ${ruleIds(findings.slice(out.length)).join(', ')})`.slice(0, WARNING_MAX));
  return out;
}

function annotations(result: ReviewResult): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const denied = ruleIds(result.errors);
  const warned = ruleIds(result.warnings);
  const notEvaluated = ruleIds(result.notEvaluated);
  if (denied.length) out[AUDIT_DENIED_BY] = denied.join(',');
  if (warned.length) out[AUDIT_WARNED_BY] = warned.join(',');
  if (notEvaluated.length) out[AUDIT_NOT_EVALUATED] = notEvaluated.join(',');
  return Object.keys(out).length ? out : undefined;
}

/** allowed: true with nothing else. */
export function allowResponse(uid: string): AdmissionResponse {
  return { uid, allowed: true };
}

/**
 * The validating answer for a review result: allowed with warnings when there are no
 * errors, otherwise allowed: false with a 422 Invalid status made like the API
 * server's field-error aggregate (status.details.causes holds every error, up to
 * MAX_CAUSES; the aggregate message says how many more there were).
 */
export function reviewResponse(uid: string, result: ReviewResult, target: DenialTarget): AdmissionResponse {
  const res: AdmissionResponse = { uid, allowed: result.errors.length === 0 };
  if (result.errors.length) {
    // Each error shown is formatted once: its body is its cause's message and, after its
    // field, its part of the aggregate (formatAggregate's text, to the character). Those
    // neither a cause nor the aggregate shows are not formatted at all.
    const errors = result.errors;
    const bodies: string[] = [];
    const errorAt = (i: number): Finding => {
      const e = errors[i];
      if (e === undefined) throw new RangeError(`no error ${i} of ${errors.length}`);
      return e;
    };
    const body = (i: number): string => (bodies[i] ??= formatErrorBody(errorAt(i)));
    const shown = errors.length > MAX_CAUSES ? errors.slice(0, MAX_CAUSES) : errors;
    res.status = {
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: aggregate(errors.length, (i) => fieldLine(errorAt(i).field, body(i))),
      details: {
        ...(target.name ? { name: boundText(target.name, NAME_MAX) } : {}),
        ...(target.group !== undefined ? { group: target.group } : {}),
        ...(target.kind ? { kind: target.kind } : {}),
        causes: shown.map((f, i) => toCause(f, body(i))),
      },
    };
  }
  if (result.warnings.length) res.warnings = warningTexts(result.warnings);
  const audit = annotations(result);
  if (audit) res.auditAnnotations = audit;
  return res;
}

/** The default each patch operation comes from (for the log line and audit). */
export function defaultIdOf(op: PatchOp): string {
  if (op.path === '/spec/apply') return 'default-apply';
  if (op.path === '/spec/timeout') return 'default-timeout';
  if (op.path.endsWith('/issuerRef/apiGroup') || op.path.endsWith('/issuerRef')) return 'default-issuer-group';
  return 'default';
}

export function encodePatch(patch: readonly PatchOp[]): string {
  return Buffer.from(JSON.stringify(patch), 'utf8').toString('base64');
}

/**
 * The mutating answer: always allowed; a JSONPatch only when there is something to
 * patch. Extra warnings (e.g. "defaults not applied") may be attached.
 */
export function patchResponse(uid: string, patch: readonly PatchOp[], warnings: readonly string[] = []): AdmissionResponse {
  const res: AdmissionResponse = { uid, allowed: true };
  if (patch.length) {
    res.patchType = 'JSONPatch';
    res.patch = encodePatch(patch);
    const ids = [...new Set(patch.map(defaultIdOf))];
    res.auditAnnotations = { [AUDIT_DEFAULTED]: ids.join(',') };
  }
  if (warnings.length) res.warnings = [...warnings];
  return res;
}

/**
 * An exception inside the engine: the request is refused (fail closed) with HTTP 200
 * on the wire and code 500 in the AdmissionReview status, so the API server shows the
 * reason instead of a transport error.
 */
export function internalErrorResponse(uid: string, message: string): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { status: 'Failure', code: 500, reason: 'InternalError', message: boundText(message, MESSAGE_MAX) },
  };
}
