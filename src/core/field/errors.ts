// Typed field errors worded like the API server's (k8s.io/apimachinery
// pkg/util/validation/field/errors.go). `formatFieldError` gives the exact text the
// API server would print for one error, and `aggregate` joins several like
// utilerrors.NewAggregate ("[a, b]" for more than one).
import { FieldPath } from './path.js';

export type FieldErrorType = 'Required' | 'Invalid' | 'NotSupported' | 'Forbidden' | 'Duplicate' | 'NotFound';

/** The API server's wording of each type (ErrorType.String()). */
export const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  Duplicate: 'Duplicate value',
  NotFound: 'Not found',
};

/** The `reason` the API server puts in status.details.causes (FieldValue...). */
export const CAUSE_REASON: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
  NotFound: 'FieldValueNotFound',
};

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The offending value, when the type shows one (Invalid, NotSupported, Duplicate, NotFound). */
  value?: unknown;
  /** Extra explanation (the `detail` of field.Error). */
  detail?: string;
}

function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** The error's text without the field: `Unsupported value: "srv": supported values: ...`. */
export function errorBody(e: FieldError): string {
  const head = TYPE_TEXT[e.type];
  switch (e.type) {
    case 'Required':
    case 'Forbidden':
      return e.detail ? `${head}: ${e.detail}` : head;
    default: {
      const withValue = e.value === undefined ? head : `${head}: ${showValue(e.value)}`;
      return e.detail ? `${withValue}: ${e.detail}` : withValue;
    }
  }
}

/** `spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: "server", ...` */
export function formatFieldError(e: FieldError): string {
  return e.field ? `${e.field}: ${errorBody(e)}` : errorBody(e);
}

/** Join messages like apimachinery's aggregate: one message bare, several in brackets. */
export function aggregate(messages: readonly string[]): string {
  if (messages.length === 0) return '';
  if (messages.length === 1) return messages[0]!;
  return `[${messages.join(', ')}]`;
}

// Constructors mirroring field.Required, field.Invalid, ...
const at = (p: FieldPath | string): string => p.toString();

export const required = (p: FieldPath | string, detail?: string): FieldError => ({ type: 'Required', field: at(p), ...(detail ? { detail } : {}) });
export const invalid = (p: FieldPath | string, value: unknown, detail?: string): FieldError => ({ type: 'Invalid', field: at(p), value, ...(detail ? { detail } : {}) });
export const forbidden = (p: FieldPath | string, detail: string): FieldError => ({ type: 'Forbidden', field: at(p), detail });
export const duplicate = (p: FieldPath | string, value: unknown): FieldError => ({ type: 'Duplicate', field: at(p), value });
export const notFound = (p: FieldPath | string, value: unknown, detail?: string): FieldError => ({ type: 'NotFound', field: at(p), value, ...(detail ? { detail } : {}) });
export function notSupported(p: FieldPath | string, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined;
  return { type: 'NotSupported', field: at(p), value, ...(detail ? { detail } : {}) };
}
