// parsePolicy: policy text (YAML) -> Policy, checked against the policy's JSON Schema
// (unknown keys rejected) and then for meaning (Go durations, min <= max). Pure: the
// caller reads the file. Every problem is reported, each naming source, path and problem.
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Policy } from './policy.js';
import { parseGoDuration } from './rules/duration.js';
import { pointerToFieldPath, valueAt } from './rules/schema.js';

export class PolicyError extends Error {
  constructor(
    readonly source: string,
    /** Each `<path>: <problem>` (path empty for the document itself). */
    readonly problems: string[],
  ) {
    super(`invalid policy ${source}: ${problems.join('; ')}`);
    this.name = 'PolicyError';
  }
}

const durationString = { type: 'string', minLength: 1 } as const;

export const POLICY_SCHEMA = {
  $id: 'https://sdb-tls-guard/schemas/policy.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    allowedIssuers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name'],
        properties: {
          kind: { type: 'string', enum: ['Issuer', 'ClusterIssuer'] },
          name: { type: 'string', minLength: 1 },
        },
      },
    },
    protectTLS: {
      type: 'object',
      additionalProperties: false,
      properties: {
        namespaces: { type: 'array', items: { type: 'string', minLength: 1 } },
        databaseSelector: {
          type: 'object',
          additionalProperties: false,
          properties: {
            matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    },
    certificateDuration: {
      type: 'object',
      additionalProperties: false,
      properties: { min: durationString, max: durationString },
    },
    privateKeyEncoding: { type: 'string', enum: ['PKCS1', 'PKCS8'] },
  },
} as const;

const ajv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, strict: true });
const validatePolicy = ajv.compile(POLICY_SCHEMA);

function at(path: string, name?: string): string {
  const p = name === undefined ? path : path === '' ? name : `${path}.${name}`;
  return p === '' ? '<root>' : p;
}

function describe(e: ErrorObject, data: unknown): string {
  const path = pointerToFieldPath(e.instancePath, data);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at(path, String(params['additionalProperty']))}: unknown field`;
    case 'required':
      return `${at(path, String(params['missingProperty']))}: Required value`;
    case 'enum':
      return `${at(path)}: Unsupported value: ${JSON.stringify(valueAt(data, e.instancePath))}: supported values: ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${at(path)}: must be of type ${String(params['type'])}`;
    case 'minLength':
      return `${at(path)}: must not be empty`;
    default:
      return `${at(path)}: ${e.message ?? 'is invalid'}`;
  }
}

/** Parse and check a policy; throws PolicyError naming `source`, the path and the problem. */
export function parsePolicy(text: string, source: string): Policy {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { prettyErrors: false, lineCounter });
  const list = Array.isArray(docs) ? docs : [docs];
  const problems: string[] = [];
  for (const d of list) {
    for (const err of d.errors) {
      const pos = lineCounter.linePos(err.pos[0]);
      problems.push(`line ${pos.line} column ${pos.col}: ${err.message}`);
    }
  }
  if (problems.length > 0) throw new PolicyError(source, problems);
  if (list.length > 1) throw new PolicyError(source, ['the policy must be a single YAML document']);
  const [doc] = list;
  const data: unknown = doc === undefined ? null : doc.toJS();
  if (data === null || data === undefined) return {};
  if (!validatePolicy(data)) {
    throw new PolicyError(source, (validatePolicy.errors ?? []).map((e) => describe(e, data)));
  }
  const policy = data as Policy;
  const b = policy.certificateDuration;
  if (b) {
    const lo = b.min !== undefined ? parseGoDuration(b.min) : undefined;
    const hi = b.max !== undefined ? parseGoDuration(b.max) : undefined;
    if (lo && !lo.ok) problems.push(`certificateDuration.min: ${lo.error}`);
    if (hi && !hi.ok) problems.push(`certificateDuration.max: ${hi.error}`);
    if (lo?.ok && lo.ns <= 0n) problems.push('certificateDuration.min: must be greater than zero');
    if (lo?.ok && hi?.ok && lo.ns > hi.ns) problems.push(`certificateDuration: min ${JSON.stringify(b.min)} is greater than max ${JSON.stringify(b.max)}`);
  }
  if (problems.length > 0) throw new PolicyError(source, problems);
  return policy;
}
