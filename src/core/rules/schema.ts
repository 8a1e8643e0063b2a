// Rule `schema`: ajv's errors turned into findings with API-server field paths and types.
//   missing property      -> Required       (`spec.type: Required value`)
//   enum                  -> NotSupported   (with the supported values)
//   wrong JSON type       -> Invalid        (value: the JSON type given; `must be of type string`)
//   unknown field         -> Forbidden      (`unknown field "spec.tls.foo"`: the wording of the
//                                            API server's strict field validation, as in
//                                            `strict decoding error: unknown field "spec.tls.foo"`)
//   anything else         -> Invalid        (ajv's message)
import { opsRequestSchemaErrors, type SchemaError } from '../../api/schema.js';
import { unescapePointerToken } from '../defaults.js';
import { forbidden, formatFieldError, invalid, notSupported, required, type FieldError } from '../field/errors.js';
import type { Finding } from '../findings.js';
import { deny } from './common.js';

const INDEX_RE = /^(0|[1-9][0-9]*)$/;

/** `/spec/tls/certificates/0/alias` -> `spec.tls.certificates[0].alias` (arrays from the data). */
export function pointerToFieldPath(pointer: string, data: unknown): string {
  if (pointer === '') return '';
  const tokens = pointer.slice(1).split('/').map(unescapePointerToken);
  let out = '';
  let cur: unknown = data;
  for (const tok of tokens) {
    if (Array.isArray(cur) && INDEX_RE.test(tok)) {
      out += `[${tok}]`;
      cur = cur[Number(tok)];
    } else {
      out = out === '' ? tok : `${out}.${tok}`;
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[tok] : undefined;
    }
  }
  return out;
}

function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** The JSON type name of a value, as a schema would say it. */
export function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The value an ajv instancePath points at in `data` (undefined where it leads nowhere). */
export function valueAt(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let cur: unknown = data;
  for (const tok of pointer.slice(1).split('/')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[unescapePointerToken(tok)];
  }
  return cur;
}

function toFieldError(e: SchemaError, data: unknown): FieldError {
  const path = pointerToFieldPath(e.instancePath, data);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return required(child(path, String(params['missingProperty'])));
    case 'additionalProperties': {
      const field = child(path, String(params['additionalProperty']));
      return forbidden(field, `unknown field ${JSON.stringify(field)}`);
    }
    case 'enum':
      return notSupported(path, valueAt(data, e.instancePath), (params['allowedValues'] as unknown[]).map(String));
    case 'type': {
      const t = params['type'];
      const want = Array.isArray(t) ? t.filter((x) => x !== 'null').join(' or ') : String(t);
      return invalid(path, jsonTypeOf(valueAt(data, e.instancePath)), `must be of type ${want}`);
    }
    default:
      return invalid(path, valueAt(data, e.instancePath), e.message ?? 'is invalid');
  }
}

/** Schema findings for `object`, at most one per field (a type error hides the rest there). */
export function schemaFindings(object: unknown): Finding[] {
  const errs = opsRequestSchemaErrors(object);
  if (errs.length === 0) return [];
  const typed = new Set<string>();
  for (const e of errs) if (e.keyword === 'type') typed.add(e.instancePath);
  // ajv reports some faults once per schema branch: errors that read the same are one.
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const e of errs) {
    if (e.keyword !== 'type' && e.keyword !== 'required' && e.keyword !== 'additionalProperties' && typed.has(e.instancePath)) continue;
    const f = deny('schema', toFieldError(e, object));
    const reads = formatFieldError(f);
    if (seen.has(reads)) continue;
    seen.add(reads);
    out.push(f);
  }
  return out;
}
