// A Finding stays the rule's typed field error (rule, type, field, bad value, detail)
// from the rule to the wire, and each door formats it there, once (issue 15): the
// webhook's causes and aggregate, the CLI's JSON and text, the reconciler's Failed
// condition. Nothing is formatted when the finding is made, and no door cuts a text
// another made.
import t from 'tap';
import fc from 'fast-check';
import { MAX_CAUSES, reviewResponse } from '../../src/admission/responses.js';
import { formatJson, formatText, type Checked } from '../../src/cli/output.js';
import { decide } from '../../src/core/engine.js';
import { aggregate, CAUSE_REASON, formatAggregate, formatErrorBody, formatFieldError, formatWarning, invalid } from '../../src/core/field/errors.js';
import { AGGREGATE_MAX, boundText } from '../../src/core/field/quote.js';
import type { Finding, ReviewResult } from '../../src/core/findings.js';
import { plan } from '../../src/core/reconcile/index.js';
import { deny } from '../../src/core/rules/common.js';
import { database, observed, request as pendingRequest } from './reconcile/builders.js';
import { request } from './helpers.js';

const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };
const ALIAS_BODY = 'Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"';

/** An alias the rule refuses, a timeout that is no duration, and a name that only warns. */
function reviewed(): ReviewResult {
  return decide({ object: request({ issuerRef: REF, certificates: [{ alias: 'srv', dnsNames: ['a.*.b'] }] }, { timeout: 'soon' }), operation: 'CREATE' }).result;
}

const checked = (errors: Finding[], r: Partial<ReviewResult> = {}): Checked => ({
  source: 'ops.yaml#1',
  namespace: 'demo',
  name: 'sdbops-x',
  allowed: errors.length === 0,
  errors,
  warnings: r.warnings ?? [],
  patch: [],
  notEvaluated: [],
  notEvaluatedGroups: [],
});

/** The Failed condition the planner writes when the pre-flight returns `denied`. */
function failedMessage(denied: Finding[]): string | undefined {
  const p = plan(observed({ request: pendingRequest({ remove: true }, { phase: 'Pending' }), database: database(undefined) }), Date.now(), { preflight: () => denied });
  return p.type === 'act' ? p.status?.condition?.message : undefined;
}

t.test('the engine hands on the typed error, no text', async (t) => {
  const r = reviewed();
  t.strictSame(r.errors[0], {
    rule: 'certificate-alias',
    type: 'NotSupported',
    field: 'spec.tls.certificates[0].alias',
    value: 'srv',
    detail: 'supported values: "server", "client", "metrics-exporter"',
  });
  const timeout = r.errors.find((f) => f.rule === 'timeout');
  if (!timeout) throw new Error('no timeout error');
  t.strictSame([timeout.type, timeout.field, timeout.value], ['Invalid', 'spec.timeout', 'soon']);
  t.strictSame(r.warnings, [{ rule: 'certificate-names', field: 'spec.tls.certificates[0].dnsNames[0]', detail: '"a.*.b": cert-manager issues it, but it is no RFC 1123 host name: TLS clients will not match it' }]);
  for (const f of [...r.errors, ...r.warnings]) t.notOk('message' in f, `${f.rule}: no message is stored`);
});

t.test('webhook: each cause is made of the typed error; the aggregate of the same errors', async (t) => {
  const r = reviewed();
  const res = reviewResponse('u', r, {});
  t.strictSame(res.status?.details?.causes?.[0], { reason: 'FieldValueNotSupported', message: ALIAS_BODY, field: 'spec.tls.certificates[0].alias' });
  t.strictSame(
    res.status?.details?.causes,
    r.errors.map((f) => ({ reason: CAUSE_REASON[f.type], message: formatErrorBody(f), field: f.field })),
  );
  t.equal(res.status?.message, formatAggregate(r.errors));
  t.equal(res.status?.message, `[${r.errors.map(formatFieldError).join(', ')}]`);
  t.strictSame(res.warnings, r.warnings.map(formatWarning));
});

t.test('CLI: the JSON error carries the typed field and type, its message formatted from them', async (t) => {
  const r = reviewed();
  const json = JSON.parse(formatJson([checked(r.errors, r)])) as { results: { errors: unknown[]; warnings: unknown[] }[] };
  t.strictSame(json.results[0]?.errors, r.errors.map((f) => ({ rule: f.rule, field: f.field, type: f.type, message: formatFieldError(f) })));
  t.strictSame(json.results[0]?.warnings, r.warnings.map((w) => ({ rule: w.rule, field: w.field, message: formatWarning(w) })));
  t.match(formatText([checked(r.errors, r)]), `ops.yaml#1: SinglestoreOpsRequest demo/sdbops-x: denied: [certificate-alias] spec.tls.certificates[0].alias: ${ALIAS_BODY}\n`);
});

t.test('every door formats late: a value changed after the review shows at each', async (t) => {
  const [f] = reviewed().errors;
  if (!f) throw new Error('no error');
  f.value = 'later';
  const body = 'Unsupported value: "later": supported values: "server", "client", "metrics-exporter"';
  const one: ReviewResult = { errors: [f], warnings: [], notEvaluated: [] };
  t.equal(reviewResponse('u', one, {}).status?.details?.causes?.[0]?.message, body, 'webhook cause');
  t.equal(reviewResponse('u', one, {}).status?.message, `spec.tls.certificates[0].alias: ${body}`, 'webhook aggregate');
  t.match(formatJson([checked([f])]), JSON.stringify(`spec.tls.certificates[0].alias: ${body}`), 'CLI JSON');
  t.match(formatText([checked([f])]), `[certificate-alias] spec.tls.certificates[0].alias: ${body}`, 'CLI text');
  t.equal(failedMessage([f]), `spec.tls.certificates[0].alias: ${body}`, 'Failed condition');
});

t.test('each door formats each error exactly once, and making it formats nothing', async (t) => {
  // The bad value is an object: quoting it (`<object with 0 keys>`) lists its keys once.
  let formatted = 0;
  const value = new Proxy({}, { ownKeys: (target) => (formatted++, Reflect.ownKeys(target)) });
  const f = deny('timeout', invalid('spec.timeout', value, 'must be a string'));
  t.equal(formatted, 0, 'deny formats nothing');
  const doors: [string, () => string | undefined][] = [
    ['webhook (cause and aggregate)', () => JSON.stringify(reviewResponse('u', { errors: [f], warnings: [], notEvaluated: [] }, {}))],
    ['CLI JSON', () => formatJson([checked([f])])],
    ['CLI text', () => formatText([checked([f])])],
    ['Failed condition', () => failedMessage([f])],
  ];
  for (const [door, show] of doors) {
    formatted = 0;
    const out = show();
    t.equal(formatted, 1, `${door}: formatted once`);
    t.match(out, 'Invalid value: <object with 0 keys>: must be a string', `${door}: shows it`);
  }
});

/** The aggregate as it was made before it read messages lazily: every message formatted first, then joined. */
function joinedInFull(messages: readonly string[]): string {
  const [first] = messages;
  if (first === undefined) return '';
  if (messages.length === 1) return boundText(first, AGGREGATE_MAX);
  if (messages.reduce((n, m) => n + m.length + 2, 0) <= AGGREGATE_MAX) return `[${messages.join(', ')}]`;
  const tail = (n: number): string => `and ${n} more error${n === 1 ? '' : 's'}`;
  const room = AGGREGATE_MAX - tail(messages.length).length - 4;
  const shown: string[] = [];
  let used = 1;
  for (const m of messages) {
    if (used + m.length + 2 > room) break;
    shown.push(m);
    used += m.length + 2;
  }
  if (shown.length === 0) shown.push(boundText(first, room - 2));
  return `[${[...shown, tail(messages.length - shown.length)].join(', ')}]`;
}

t.test('aggregate reads only the messages it shows, and says what a join of all would say', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string({ unit: fc.constantFrom('a', ' ', ':'), minLength: 1, maxLength: 1500 }), fc.string({ minLength: 1, maxLength: 40 })), { maxLength: 300 }), (messages) => {
      let asked = 0;
      const got = aggregate(messages.length, (i) => {
        asked++;
        const m = messages[i];
        if (m === undefined) throw new Error(`asked for message ${i} of ${messages.length}`);
        return m;
      });
      const want = joinedInFull(messages);
      if (got !== want) throw new Error(`${JSON.stringify(got.slice(-60))} != ${JSON.stringify(want.slice(-60))}`);
      if (asked > messages.length) throw new Error(`asked ${asked} times for ${messages.length} messages`);
    }),
    { numRuns: 300 },
  );
  let asked = 0;
  const got = aggregate(10_000, (i) => (asked++, `spec.tls.certificates[0].dnsNames[${i}]: Invalid value: "x"`));
  t.match(got, /, and 9\d{3} more errors\]$/);
  t.ok(asked < 100, `10,000 messages, ${asked} read`);
});

t.test('a denial of 10,000 findings formats only what the answer shows', async (t) => {
  let formatted = 0;
  const value = new Proxy({}, { ownKeys: (target) => (formatted++, Reflect.ownKeys(target)) });
  const many = Array.from({ length: 10_000 }, (_, i) => deny('certificate-names', invalid(`spec.tls.certificates[0].dnsNames[${i}]`, value, 'bad')));
  const res = reviewResponse('u', { errors: many, warnings: [], notEvaluated: [] }, {});
  t.equal(res.status?.details?.causes?.length, MAX_CAUSES);
  t.equal(formatted, MAX_CAUSES, 'the causes shown, the aggregate reusing their bodies');
  formatted = 0;
  t.match(failedMessage(many), /more errors\]$/);
  t.ok(formatted > 0 && formatted < 100, `Failed condition: ${formatted} formatted`);
});
