// Typed field errors worded like the API server's (k8s.io/apimachinery
// pkg/util/validation/field/errors.go), and the one place they become text. A rule
// builds a FieldError (type, field, bad value, detail) and it stays typed to the wire;
// each door formats it once:
//   formatFieldError   one error as the API server prints it (`<field>: <body>`): a CLI
//                      line, the CLI's JSON `message`
//   formatErrorBody    the same without the field: a status.details.causes[] message,
//                      whose `field` is the error's own (fieldLine puts the two together)
//   formatAggregate    several errors joined like utilerrors.NewAggregate ("[a, b]"): the
//                      webhook's status.message, the reconciler's Failed condition
//   formatWarning      a warning (`<field>: <detail>`): response.warnings, the CLI
// Unlike apimachinery, a value is never printed whole: it goes through ./quote.ts (cut
// at 256 characters, escaped, objects summarised), and every text has a bound
// (docs/security.md).
import { AGGREGATE_MAX, boundText, FIELD_MAX, MESSAGE_MAX, quote, RUN_MAX, WARNING_MAX, WARNING_RUN_MAX } from './quote.js';

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
  /** Path like the API server's, e.g. `spec.tls.certificates[0].alias`. */
  field: string;
  /** The offending value, when the type shows one (Invalid, NotSupported, Duplicate, NotFound). */
  value?: unknown;
  /** Extra explanation (the `detail` of field.Error). */
  detail?: string;
}

/** A remark on one field that denies nothing (a warning): `<field>: <detail>`. */
export interface FieldWarning {
  field: string;
  detail: string;
}

/** The offending value as the message shows it: quoted, cut, never dumped (./quote.ts). */
const showValue = (v: unknown): string => quote(v);

/** The error's text without the field, unbounded: `Unsupported value: "srv": supported values: ...`. */
function errorBody(e: FieldError): string {
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
 * `Unsupported value: "srv": supported values: ...`, what a cause's `message` says (its
 * `field` says the rest). Cut as the whole message is, so that `<field>: ` and this
 * are formatFieldError(e) to the character.
 */
export function formatErrorBody(e: FieldError): string {
  const field = boundField(e.field);
  return boundText(errorBody(e), MESSAGE_MAX, RUN_MAX, field ? field.length + 2 : 0);
}

/**
 * `spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: ...`
 * Bounded whatever the rule put in it (./quote.ts): the value is quoted and cut, the
 * field path cut at FIELD_MAX, and the whole message at MESSAGE_MAX, long runs in the
 * detail (a value a rule wrote in raw) cut in place.
 */
export function formatFieldError(e: FieldError): string {
  return fieldLine(boundField(e.field), formatErrorBody(e));
}

/** `<field>: <body>` (the body alone for the root): an error's line from its formatted body. */
export function fieldLine(field: string, body: string): string {
  return field ? `${field}: ${body}` : body;
}

/** The denial of several errors as one message: what status.message and a Failed condition say. */
export function formatAggregate(errors: readonly FieldError[]): string {
  return aggregate(errors.length, (i) => {
    const e = errors[i];
    if (e === undefined) throw new RangeError(`formatAggregate: no error ${i} of ${errors.length}`);
    return formatFieldError(e);
  });
}

/**
 * `spec.databaseRef: ReconfigureTLS request demo/x is Pending; ...`, kept short: the API
 * server shows it to the user. A value in the detail longer than WARNING_RUN_MAX is cut
 * in place, the whole at WARNING_MAX.
 */
export function formatWarning(w: FieldWarning): string {
  return boundText(`${boundField(w.field)}: ${w.detail}`, WARNING_MAX, WARNING_RUN_MAX);
}

/**
 * Join `count` messages like apimachinery's aggregate: one message bare, several in
 * brackets. At most AGGREGATE_MAX characters: the messages that fit, then `and N more
 * errors`. `messageAt(i)` is asked for a message only when the join needs it (those
 * shown, and the one that shows the rest will not fit): a door formats only what it
 * shows, so a denial of 10,000 findings formats a handful, not 10,000.
 */
export function aggregate(count: number, messageAt: (i: number) => string): string {
  if (count === 0) return '';
  if (count === 1) return boundText(messageAt(0), AGGREGATE_MAX);
  const messages: string[] = [];
  let total = 0;
  while (messages.length < count && total <= AGGREGATE_MAX) {
    const m = messageAt(messages.length);
    messages.push(m);
    total += m.length + 2;
  }
  if (total <= AGGREGATE_MAX) return `[${messages.join(', ')}]`;
  const tail = (n: number): string => `and ${n} more error${n === 1 ? '' : 's'}`;
  const reserve = tail(count).length + 4;
  const shown: string[] = [];
  let used = 1;
  // The message that took the total past AGGREGATE_MAX does not fit below it less the
  // reserve either, so the loop stops within the messages read above.
  for (const m of messages) {
    if (used + m.length + 2 > AGGREGATE_MAX - reserve) break;
    shown.push(m);
    used += m.length + 2;
  }
  if (shown.length === 0) shown.push(boundText(messages[0] ?? '', AGGREGATE_MAX - reserve - 2)); // count > 1: there is one
  return `[${[...shown, tail(count - shown.length)].join(', ')}]`;
}

// Constructors mirroring field.Required, field.Invalid, ...
export const required = (field: string, detail?: string): FieldError => ({ type: 'Required', field, ...(detail ? { detail } : {}) });
export const invalid = (field: string, value: unknown, detail?: string): FieldError => ({ type: 'Invalid', field, value, ...(detail ? { detail } : {}) });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'Duplicate', field, value });
export const notFound = (field: string, value: unknown, detail?: string): FieldError => ({ type: 'NotFound', field, value, ...(detail ? { detail } : {}) });
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined;
  return { type: 'NotSupported', field, value, ...(detail ? { detail } : {}) };
}
