import t from 'tap';
import { decodeAdmissionReview, encodeAdmissionReview } from '../../src/admission/review.js';
import {
  AUDIT_DENIED_BY,
  AUDIT_DEFAULTED,
  AUDIT_NOT_EVALUATED,
  AUDIT_WARNED_BY,
  defaultIdOf,
  encodePatch,
  internalErrorResponse,
  patchResponse,
  reviewResponse,
  warningTexts,
} from '../../src/admission/responses.js';
import type { Finding, Warning } from '../../src/core/findings.js';

const GVK = { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' };
const good = (over: Record<string, unknown> = {}, reqOver: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u-1', kind: GVK, operation: 'CREATE', namespace: 'demo', object: { a: 1 }, ...reqOver },
  ...over,
});

t.test('decode: well-formed reviews', async (t) => {
  const v1 = decodeAdmissionReview(good());
  t.strictSame(v1, {
    ok: true,
    review: { apiVersion: 'admission.k8s.io/v1', request: { uid: 'u-1', kind: GVK, operation: 'CREATE', namespace: 'demo', object: { a: 1 } } },
  });
  const beta = decodeAdmissionReview(good({ apiVersion: 'admission.k8s.io/v1beta1' }));
  t.equal(beta.ok && beta.review.apiVersion, 'admission.k8s.io/v1beta1');
  const kindNoGroup = decodeAdmissionReview(good({}, { kind: { version: 'v1', kind: 'Pod' } }));
  t.strictSame(kindNoGroup.ok && kindNoGroup.review.request.kind, { group: '', version: 'v1', kind: 'Pod' }, 'core group is the empty string');
  const del = decodeAdmissionReview(good({}, { operation: 'DELETE', object: null, oldObject: { b: 2 } }));
  t.equal(del.ok && del.review.request.operation, 'DELETE');
  t.strictSame(del.ok && del.review.request.oldObject, { b: 2 }, 'embedded objects pass untouched');
});

const BAD: [string, unknown, string][] = [
  ['null', null, 'body is not an AdmissionReview: expected a JSON object, got null'],
  ['JSON array', [good()], 'body is not an AdmissionReview: expected a JSON object, got an array'],
  ['string', 'hello', 'body is not an AdmissionReview: expected a JSON object, got a string'],
  ['number', 42, 'body is not an AdmissionReview: expected a JSON object, got a number'],
  ['missing kind', { apiVersion: 'admission.k8s.io/v1', request: good().request }, 'body is not an AdmissionReview: kind is missing'],
  ['wrong kind', good({ kind: 'ConversionReview' }), 'body is not an AdmissionReview: kind is "ConversionReview"'],
  [
    'wrong apiVersion',
    good({ apiVersion: 'admission.k8s.io/v2' }),
    'unsupported AdmissionReview apiVersion "admission.k8s.io/v2": supported are "admission.k8s.io/v1", "admission.k8s.io/v1beta1"',
  ],
  [
    'missing apiVersion',
    { kind: 'AdmissionReview', request: good().request },
    'unsupported AdmissionReview apiVersion (missing): supported are "admission.k8s.io/v1", "admission.k8s.io/v1beta1"',
  ],
  ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'AdmissionReview has no request'],
  ['null request', good({ request: null }), 'AdmissionReview has no request'],
  ['request is an array', good({ request: [] }), 'AdmissionReview request must be an object, got an array'],
  ['no uid', good({}, { uid: undefined }), 'AdmissionReview request.uid is missing or empty'],
  ['empty uid', good({}, { uid: '' }), 'AdmissionReview request.uid is missing or empty'],
  ['numeric uid', good({}, { uid: 7 }), 'AdmissionReview request.uid is missing or empty'],
  ['no request.kind', good({}, { kind: undefined }), 'request.kind is missing'],
  ['request.kind a string', good({}, { kind: 'Pod' }), 'request.kind must be an object with group, version and kind, got a string'],
  ['request.kind without kind', good({}, { kind: { group: 'x', version: 'v1' } }), 'request.kind.kind must be a non-empty string'],
  ['no operation', good({}, { operation: undefined }), 'AdmissionReview request.operation is missing'],
  ['bad operation', good({}, { operation: 'PATCH' }), 'AdmissionReview request.operation "PATCH" is not one of CREATE, UPDATE, DELETE, CONNECT'],
  ['numeric namespace', good({}, { namespace: 3 }), 'AdmissionReview request.namespace must be a string'],
  ['userInfo not an object', good({}, { userInfo: 'alice' }), 'AdmissionReview request.userInfo must be an object'],
];

t.test('decode: undecodable bodies name the problem', async (t) => {
  for (const [name, body, message] of BAD) {
    t.strictSame(decodeAdmissionReview(body), { ok: false, message }, name);
  }
});

t.test('encode answers in the request apiVersion', async (t) => {
  t.strictSame(encodeAdmissionReview('admission.k8s.io/v1beta1', { uid: 'x', allowed: true }), {
    apiVersion: 'admission.k8s.io/v1beta1',
    kind: 'AdmissionReview',
    response: { uid: 'x', allowed: true },
  });
});

const alias: Finding = {
  rule: 'certificate-alias',
  field: 'spec.tls.certificates[0].alias',
  type: 'NotSupported',
  value: 'srv',
  detail: 'supported values: "server", "client", "metrics-exporter"',
};
const ALIAS_MESSAGE = 'spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"';
const timeout: Finding = { rule: 'timeout', field: 'spec.timeout', type: 'Invalid', value: 'soon', detail: 'not a duration' };
const TIMEOUT_MESSAGE = 'spec.timeout: Invalid value: "soon": not a duration';
const inflight: Warning = { rule: 'op-in-flight', field: 'spec.databaseRef', detail: 'Restart request r1 is Progressing; this one will wait' };

t.test('reviewResponse: denial like the API server field-error aggregate', async (t) => {
  const res = reviewResponse('u-9', { errors: [alias, timeout], warnings: [inflight], notEvaluated: [] }, { name: 'sdbops-x', group: 'ops.kubedb.com', kind: 'SinglestoreOpsRequest' });
  t.strictSame(res, {
    uid: 'u-9',
    allowed: false,
    status: {
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: `[${ALIAS_MESSAGE}, ${TIMEOUT_MESSAGE}]`,
      details: {
        name: 'sdbops-x',
        group: 'ops.kubedb.com',
        kind: 'SinglestoreOpsRequest',
        causes: [
          { reason: 'FieldValueNotSupported', message: 'Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"', field: 'spec.tls.certificates[0].alias' },
          { reason: 'FieldValueInvalid', message: 'Invalid value: "soon": not a duration', field: 'spec.timeout' },
        ],
      },
    },
    warnings: ['spec.databaseRef: Restart request r1 is Progressing; this one will wait'],
    auditAnnotations: { 'denied-by': 'certificate-alias,timeout', 'warned-by': 'op-in-flight' },
  });
});

t.test('reviewResponse: one error is not bracketed; allowed answers carry warnings only', async (t) => {
  const one = reviewResponse('u', { errors: [timeout], warnings: [], notEvaluated: [] }, {});
  t.equal(one.status?.message, TIMEOUT_MESSAGE);
  t.strictSame(one.status?.details, { causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "soon": not a duration', field: 'spec.timeout' }] });
  const allowed = reviewResponse('u', { errors: [], warnings: [inflight], notEvaluated: [{ rule: 'database-exists', reason: 'no cluster view' }] }, {});
  t.strictSame(allowed, {
    uid: 'u',
    allowed: true,
    warnings: ['spec.databaseRef: Restart request r1 is Progressing; this one will wait'],
    auditAnnotations: { 'warned-by': 'op-in-flight', 'not-evaluated': 'database-exists' },
  });
  t.strictSame(reviewResponse('u', { errors: [], warnings: [], notEvaluated: [] }, {}), { uid: 'u', allowed: true }, 'nothing to say: bare allowed');
});

t.test('the same rule twice is named once', async (t) => {
  const second: Finding = { rule: 'certificate-alias', field: 'spec.tls.certificates[1].alias', type: 'Duplicate', value: 'client' };
  const res = reviewResponse('u', { errors: [alias, second], warnings: [], notEvaluated: [] }, {});
  t.equal(res.auditAnnotations?.['denied-by'], 'certificate-alias');
  t.equal(res.status?.details?.causes?.[1]?.reason, 'FieldValueDuplicate');
});

t.test('audit annotation keys stay valid qualified names once the API server prefixes the webhook name', async (t) => {
  const qualifiedName = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
  for (const key of [AUDIT_DENIED_BY, AUDIT_WARNED_BY, AUDIT_NOT_EVALUATED, AUDIT_DEFAULTED]) {
    const prefixed = `validate.sdb-tls-guard.io/${key}`;
    t.match(prefixed, qualifiedName, prefixed);
    t.ok(key.length <= 63, `${key} is at most 63 characters`);
  }
});

t.test('a cause at the root has no field; a warning is one printable line', async (t) => {
  const root: Finding = { rule: 'schema', field: '', type: 'Invalid', value: 'x', detail: 'must be of type object' };
  const res = reviewResponse('u', { errors: [root], warnings: [{ rule: 'tls-ignored', field: 'spec.tls', detail: 'a\tb\r\nc\u001b[31m' }], notEvaluated: [] }, {});
  t.strictSame(res.status?.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: "x": must be of type object', field: '' }]);
  t.equal(res.status?.message, 'Invalid value: "x": must be of type object');
  t.strictSame(res.warnings, ['spec.tls: a\\tb\\r\\nc\\u001b[31m'], 'control characters escaped, not sent raw');
  t.strictSame(warningTexts([inflight]), ['spec.databaseRef: Restart request r1 is Progressing; this one will wait']);
});

t.test('patchResponse: JSONPatch only when non-empty', async (t) => {
  const patch = [
    { op: 'add' as const, path: '/spec/apply', value: 'IfReady' },
    { op: 'add' as const, path: '/spec/timeout', value: '10m' },
  ];
  const res = patchResponse('u', patch);
  t.strictSame(res, {
    uid: 'u',
    allowed: true,
    patchType: 'JSONPatch',
    patch: 'W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvYXBwbHkiLCJ2YWx1ZSI6IklmUmVhZHkifSx7Im9wIjoiYWRkIiwicGF0aCI6Ii9zcGVjL3RpbWVvdXQiLCJ2YWx1ZSI6IjEwbSJ9XQ==',
    auditAnnotations: { defaulted: 'default-apply,default-timeout' },
  });
  const { patch: encoded } = res;
  if (encoded === undefined) throw new Error('patchResponse gave no patch');
  t.strictSame(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')), patch);
  t.strictSame(patchResponse('u', []), { uid: 'u', allowed: true });
  t.strictSame(patchResponse('u', [], ['w']), { uid: 'u', allowed: true, warnings: ['w'] });
  t.equal(encodePatch([]), 'W10=');
  t.equal(defaultIdOf({ op: 'add', path: '/spec/tls/certificates/0/issuerRef/apiGroup', value: 'cert-manager.io' }), 'default-issuer-group');
});

t.test('internalErrorResponse: refused with code 500 in the status', async (t) => {
  t.strictSame(internalErrorResponse('u', 'boom'), { uid: 'u', allowed: false, status: { status: 'Failure', code: 500, reason: 'InternalError', message: 'boom' } });
});
