// JSON Schema of the AdmissionReview envelope the admission routes answer with (HTTP
// 200). Used ONLY to serialise responses (fastify compiles it with fast-json-stringify);
// never for request bodies. A serializer drops properties its schema does not name, so
// this lists every field of AdmissionResponse (src/admission/review.ts); the response
// tests compare whole answers, so a field missing here fails them.

const cause = {
  type: 'object',
  properties: {
    reason: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string' },
  },
} as const;

const status = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    code: { type: 'integer' },
    reason: { type: 'string' },
    message: { type: 'string' },
    details: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        group: { type: 'string' },
        kind: { type: 'string' },
        causes: { type: 'array', items: cause },
      },
    },
  },
} as const;

const ADMISSION_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    uid: { type: 'string' },
    allowed: { type: 'boolean' },
    status,
    patch: { type: 'string' },
    patchType: { type: 'string' },
    auditAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const ADMISSION_REVIEW_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    response: ADMISSION_RESPONSE_SCHEMA,
  },
} as const;
