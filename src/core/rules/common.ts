// Small helpers shared by the rule families.
import type { CertificateSpec, IssuerRef, OpsTLSSpec, SinglestoreOpsRequest } from '../../api/types.js';
import { boundField, formatFieldError, type FieldError } from '../field/errors.js';
import { boundText, WARNING_MAX, WARNING_RUN_MAX } from '../field/quote.js';
import type { Finding, RuleId } from '../findings.js';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A denial finding from a typed field error. */
export function deny(rule: RuleId, e: FieldError): Finding {
  return { rule, field: boundField(e.field), type: e.type, message: formatFieldError(e) };
}

/**
 * A warning finding: `<field>: <text>` (kept short: response.warnings shows it). Bounded
 * like every message (../field/quote.ts): a value in the text longer than
 * WARNING_RUN_MAX is cut in place, the whole at WARNING_MAX.
 */
export function warn(rule: RuleId, field: string, text: string): Finding {
  const f = boundField(field);
  return { rule, field: f, message: boundText(`${f}: ${text}`, WARNING_MAX, WARNING_RUN_MAX) };
}

export interface LocatedIssuerRef {
  ref: IssuerRef;
  /** e.g. `spec.tls.issuerRef` or `spec.tls.certificates[1].issuerRef` */
  path: string;
}

/** Every issuerRef a request's spec.tls gives: the top one, then each certificate's, in order. */
export function issuerRefsOf(tls: OpsTLSSpec): LocatedIssuerRef[] {
  const out: LocatedIssuerRef[] = [];
  if (tls.issuerRef) out.push({ ref: tls.issuerRef, path: 'spec.tls.issuerRef' });
  const certs = tls.certificates ?? [];
  for (let i = 0; i < certs.length; i++) {
    const ref = certs[i]?.issuerRef;
    if (ref) out.push({ ref, path: `spec.tls.certificates[${i}].issuerRef` });
  }
  return out;
}

export function certificatesOf(tls: OpsTLSSpec | null | undefined): CertificateSpec[] {
  return tls?.certificates ?? [];
}

/** The request's spec.tls when it is an object (schema has passed when rules run). */
export function tlsOf(obj: SinglestoreOpsRequest): OpsTLSSpec | undefined {
  const tls = obj.spec?.tls;
  return tls ?? undefined;
}

export function showRef(kind: string | undefined, namespace: string, name: string | undefined): string {
  return kind === 'ClusterIssuer' ? `ClusterIssuer ${name ?? ''}` : `${kind ?? 'Issuer'} ${namespace}/${name ?? ''}`;
}
