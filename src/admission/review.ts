// AdmissionReview wire format (admission.k8s.io/v1 and v1beta1) and its decoder.
// PURE: takes the parsed JSON body, returns either the request or the reason it cannot
// be decoded. "Cannot decode" (HTTP 400) is kept apart from "a rule is broken"
// (HTTP 200, allowed: false), as cert-manager's webhook does. A reason names a bad
// value through quote (src/core/field/quote.ts): cut, escaped, never dumped.
import { quote } from '../core/field/quote.js';
import type { Operation } from '../core/findings.js';
import { isRecord } from '../core/is-record.js';

export const ADMISSION_V1 = 'admission.k8s.io/v1';
export const ADMISSION_V1BETA1 = 'admission.k8s.io/v1beta1';
export const ADMISSION_VERSIONS = [ADMISSION_V1, ADMISSION_V1BETA1] as const;
export type AdmissionApiVersion = (typeof ADMISSION_VERSIONS)[number];

export const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The fields of AdmissionRequest this project reads; the rest is kept as received. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: UserInfo;
  /** The object as received (null/absent for DELETE). */
  object?: unknown;
  /** The existing object (UPDATE, DELETE). */
  oldObject?: unknown;
  dryRun?: boolean;
  options?: unknown;
}

/** metav1.StatusCause as the API server writes it (`reason` is the Go field Type). */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** metav1.Status, the `status` of an AdmissionResponse. */
export interface Status {
  status?: 'Success' | 'Failure';
  code: number;
  reason?: string;
  message: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
  };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  /** base64 of the JSON Patch; present only with patchType. */
  patch?: string;
  patchType?: 'JSONPatch';
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface DecodedReview {
  apiVersion: AdmissionApiVersion;
  request: AdmissionRequest;
}

export type DecodeResult = { ok: true; review: DecodedReview } | { ok: false; message: string };


function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const fail = (message: string): DecodeResult => ({ ok: false, message });

function decodeGVK(v: unknown, at: string): GroupVersionKind | string {
  if (v === undefined || v === null) return `${at} is missing`;
  if (!isRecord(v)) return `${at} must be an object with group, version and kind, got ${describe(v)}`;
  const group = v['group'] ?? '';
  const version = v['version'] ?? '';
  const kind = v['kind'];
  if (typeof group !== 'string') return `${at}.group must be a string`;
  if (typeof version !== 'string') return `${at}.version must be a string`;
  if (typeof kind !== 'string' || kind === '') return `${at}.kind must be a non-empty string`;
  return { group, version, kind };
}

/**
 * Decode a parsed request body into an AdmissionReview request. Everything the API
 * server always sends (apiVersion, kind, request.uid, request.kind, request.operation)
 * is required; the embedded objects are passed on untouched (the rules judge them).
 */
export function decodeAdmissionReview(body: unknown): DecodeResult {
  if (!isRecord(body)) return fail(`body is not an AdmissionReview: expected a JSON object, got ${describe(body)}`);
  const apiVersion = body['apiVersion'];
  const kind = body['kind'];
  if (kind !== 'AdmissionReview') {
    return fail(`body is not an AdmissionReview: kind is ${kind === undefined ? 'missing' : quote(kind)}`);
  }
  if (typeof apiVersion !== 'string' || !(ADMISSION_VERSIONS as readonly string[]).includes(apiVersion)) {
    return fail(
      `unsupported AdmissionReview apiVersion ${apiVersion === undefined ? '(missing)' : quote(apiVersion)}: supported are ${ADMISSION_VERSIONS.map((v) => JSON.stringify(v)).join(', ')}`,
    );
  }
  const request = body['request'];
  if (request === undefined || request === null) return fail('AdmissionReview has no request');
  if (!isRecord(request)) return fail(`AdmissionReview request must be an object, got ${describe(request)}`);
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') return fail('AdmissionReview request.uid is missing or empty');
  const gvk = decodeGVK(request['kind'], 'request.kind');
  if (typeof gvk === 'string') return fail(gvk);
  const operation = request['operation'];
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
    return fail(
      `AdmissionReview request.operation ${operation === undefined ? 'is missing' : `${quote(operation)} is not one of CREATE, UPDATE, DELETE, CONNECT`}`,
    );
  }
  for (const key of ['name', 'namespace', 'subResource'] as const) {
    const v = request[key];
    if (v !== undefined && v !== null && typeof v !== 'string') return fail(`AdmissionReview request.${key} must be a string`);
  }
  const userInfo = request['userInfo'];
  if (userInfo !== undefined && userInfo !== null && !isRecord(userInfo)) return fail('AdmissionReview request.userInfo must be an object');
  const decoded: AdmissionRequest = {
    ...request,
    uid,
    kind: gvk,
    operation: operation as Operation,
  };
  return { ok: true, review: { apiVersion: apiVersion as AdmissionApiVersion, request: decoded } };
}

/** Wrap a response in an AdmissionReview of the same apiVersion as the request. */
export function encodeAdmissionReview(apiVersion: AdmissionApiVersion, response: AdmissionResponse): AdmissionReview {
  return { apiVersion, kind: 'AdmissionReview', response };
}
