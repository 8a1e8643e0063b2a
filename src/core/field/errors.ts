// Typed field errors worded like the API server's (k8s.io/apimachinery
// pkg/util/validation/field/errors.go). `formatFieldError` gives the text the API server
// would print for one error, and `aggregate` joins several like utilerrors.NewAggregate
// ("[a, b]" for more than one). Unlike apimachinery, a value is never printed whole: it
// goes through ./quote.ts (cut at 256 characters, escaped, objects summarised), and
// every message has a bound (docs/security.md).
import { FieldPath } from './path.js';
import { AGGREGATE_MAX, boundText, FIELD_MAX, MESSAGE_MAX, quote } from './quote.js';

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

/** The offending value as the message shows it: quoted, cut, never dumped (./quote.ts). */
const showValue = (v: unknown): string => quote(v);

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

/** A field path as findings carry it: escaped and cut (only an unknown key can make it long). */
export function boundField(field: string): string {
  return boundText(field, FIELD_MAX);
}

/**
 * `spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: ...`
 * Bounded whatever the rule put in it (./quote.ts): the value is quoted and cut, the
 * field path cut at FIELD_MAX, and the whole message at MESSAGE_MAX, long runs in the
 * detail (a value a rule wrote in raw) cut in place.
 */
export function formatFieldError(e: FieldError): string {
  const field = boundField(e.field);
  return boundText(field ? `${field}: ${errorBody(e)}` : errorBody(e), MESSAGE_MAX);
}

/**
 * Join messages like apimachinery's aggregate: one message bare, several in brackets.
 * At most AGGREGATE_MAX characters: the messages that fit, then `and N more errors`.
 */
export function aggregate(messages: readonly string[]): string {
  if (messages.length === 0) return '';
  if (messages.length === 1) return boundText(messages[0]!, AGGREGATE_MAX);
  let total = 0;
  for (const m of messages) total += m.length + 2;
  if (total <= AGGREGATE_MAX) return `[${messages.join(', ')}]`;
  const tail = (n: number): string => `and ${n} more error${n === 1 ? '' : 's'}`;
  const reserve = tail(messages.length).length + 4;
  const shown: string[] = [];
  let used = 1;
  for (const m of messages) {
    if (used + m.length + 2 > AGGREGATE_MAX - reserve) break;
    shown.push(m);
    used += m.length + 2;
  }
  if (shown.length === 0) shown.push(boundText(messages[0]!, AGGREGATE_MAX - reserve - 2));
  return `[${[...shown, tail(messages.length - shown.length)].join(', ')}]`;
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
