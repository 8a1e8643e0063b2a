// Small helpers shared by the rule families.
import type { IssuerRef, OpsTLSSpec } from '../../api/types.js';
import { boundField, type FieldError } from '../field/errors.js';
import type { Finding, Warning } from '../findings.js';
import type { RuleId } from './table.js';

/**
 * A denial: the rule's typed field error as it is (formatted only at a door,
 * ../field/errors.ts), its field path bounded (only an unknown key can make it long).
 */
export function deny(rule: RuleId, e: FieldError): Finding {
  const f: Finding = { rule, type: e.type, field: boundField(e.field) };
  if ('value' in e) f.value = e.value;
  if (e.detail !== undefined) f.detail = e.detail;
  return f;
}

/** A warning on `field`: `detail` says why (formatted only at a door: formatWarning). */
export function warn(rule: RuleId, field: string, detail: string): Warning {
  return { rule, field: boundField(field), detail };
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
