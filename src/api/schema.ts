// JSON Schema of SinglestoreOpsRequest (ops.kubedb.com/v1alpha1), compiled ONCE with ajv.
// No type coercion, no defaults inserted: the schema only reports. `spec.tls` is closed
// (unknown fields are errors, at every level below it) because the CLI sees manifests the
// API server would prune; the rest of `spec` is open, as the other ops types carry their
// own fields this project does not own.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { OPS_TYPES } from './types.js';

export const APPLY_VALUES = ['IfReady', 'Always'] as const;
export const PRIVATE_KEY_ENCODINGS = ['PKCS1', 'PKCS8'] as const;

const str = { type: 'string' } as const;
const strList = { type: 'array', items: str } as const;

const issuerRefSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name'],
  properties: { apiGroup: str, kind: str, name: str },
} as const;

const subjectSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    organizations: strList,
    countries: strList,
    organizationalUnits: strList,
    localities: strList,
    provinces: strList,
    streetAddresses: strList,
    postalCodes: strList,
    serialNumber: str,
  },
} as const;

const certificateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['alias'],
  properties: {
    alias: str,
    issuerRef: issuerRefSchema,
    secretName: str,
    subject: subjectSchema,
    duration: str,
    renewBefore: str,
    dnsNames: strList,
    ipAddresses: strList,
    uris: strList,
    emailAddresses: strList,
    privateKey: {
      type: 'object',
      additionalProperties: false,
      properties: { encoding: { type: 'string', enum: [...PRIVATE_KEY_ENCODINGS] } },
    },
  },
} as const;

const tlsSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    issuerRef: issuerRefSchema,
    certificates: { type: 'array', items: certificateSchema },
    rotateCertificates: { type: 'boolean' },
    remove: { type: 'boolean' },
  },
} as const;

const obj = { type: 'object' } as const;

/** The schema itself (exported for docs and for tests). */
export const OPS_REQUEST_SCHEMA = {
  $id: 'https://sdb-tls-guard/schemas/singlestoreopsrequest.json',
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: str,
    kind: str,
    metadata: {
      type: 'object',
      properties: {
        name: str,
        generateName: str,
        namespace: str,
        labels: { type: 'object', additionalProperties: str },
        annotations: { type: 'object', additionalProperties: str },
      },
    },
    spec: {
      type: 'object',
      required: ['type', 'databaseRef'],
      properties: {
        type: { type: 'string', enum: [...OPS_TYPES] },
        databaseRef: {
          type: 'object',
          required: ['name'],
          properties: { name: str },
        },
        tls: tlsSchema,
        timeout: str,
        apply: { type: 'string', enum: [...APPLY_VALUES] },
        maxRetries: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
        // other ops types' own sections: objects, their insides are not ours to judge
        updateVersion: obj,
        horizontalScaling: obj,
        verticalScaling: obj,
        volumeExpansion: obj,
        restart: obj,
        configuration: obj,
        authentication: obj,
        migration: obj,
      },
    },
    status: {
      type: 'object',
      properties: {
        phase: str,
        observedGeneration: { type: 'integer' },
        conditions: { type: 'array', items: obj },
      },
    },
  },
} as const;

const AJV_OPTIONS = {
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  strict: true,
  allowUnionTypes: true,
} as const;

const ajv = new Ajv({ ...AJV_OPTIONS, allErrors: true });

/** Compiled once at module load. */
export const validateOpsRequest: ValidateFunction = ajv.compile(OPS_REQUEST_SCHEMA);

/**
 * The same schema compiled to stop at the first error: the answer (valid or not) is the
 * same, and its smaller code is what almost every request (a valid one) runs. Only an
 * invalid object runs the allErrors validator above, to report every error.
 */
const validateOpsRequestFirstError: ValidateFunction = new Ajv({ ...AJV_OPTIONS, allErrors: false }).compile(OPS_REQUEST_SCHEMA);

export type SchemaError = ErrorObject;

/**
 * Validate `object`; returns ajv's errors (empty when valid). The validator is shared,
 * so its `errors` are copied out before returning.
 */
export function opsRequestSchemaErrors(object: unknown): SchemaError[] {
  if (validateOpsRequestFirstError(object)) return [];
  validateOpsRequest(object); // same schema: invalid too, now with every error
  return validateOpsRequest.errors ? [...validateOpsRequest.errors] : [];
}
