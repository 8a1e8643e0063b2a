// Issue 16: nothing the webhook says back or logs grows with the size of a value in the
// request (docs/security.md). Generated reviews with huge (70,000-character) and hostile
// strings (control characters, ANSI escapes, newlines, bidi overrides, quotes, lone
// surrogates), 100,000-deep arrays and 3,000-element arrays, placed in every field of
// the envelope and the object (and as unknown keys), go through the real app
// (inject). Every answer message, cause, warning and log line must stay within its
// bound, carry no raw control character, and still name the field.
// FC_SEED=<n> replays a reported failure.
import { Writable } from 'node:stream';
import t from 'tap';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/server/app.js';
import { LOG_LINE_MAX, LOG_STACK_MAX } from '../../src/server/decision-log.js';
import { createMetrics } from '../../src/metrics.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { parsePolicy } from '../../src/core/policy-load.js';
import { MAX_CAUSES, MAX_WARNINGS } from '../../src/admission/responses.js';
import { AGGREGATE_MAX, FIELD_MAX, LOG_FIELD_MAX, MESSAGE_MAX, WARNING_MAX } from '../../src/core/field/quote.js';
import { busyStateObjects, HUGE, hostileString, hostileValue, OBJECT_FIELDS, realReviews, setAt, spliceDeep, workedObjects, wrapReview, type JsonPath } from '../fuzz/arbitraries.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const seed = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;

// eslint-disable-next-line no-control-regex -- finding raw control characters in the output is this pattern's job
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// ------------------------------------------------------------------ hostile input

type Path = JsonPath;
/** Every field the decoder or the log line reads, and every field of the object a rule reads. */
const NAMED_PATHS: readonly Path[] = [
  ['apiVersion'],
  ['kind'],
  ['request', 'uid'],
  ['request', 'kind', 'kind'],
  ['request', 'kind', 'group'],
  ['request', 'kind', 'version'],
  ['request', 'operation'],
  ['request', 'name'],
  ['request', 'namespace'],
  ['request', 'subResource'],
  ['request', 'userInfo', 'username'],
  ['request', 'userInfo', 'groups', 0],
  ...OBJECT_FIELDS.map((p) => ['request', 'object', ...p]),
  ['request', 'oldObject', 'spec', 'databaseRef', 'name'],
];

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function allPaths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (prefix.length) out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (isRec(v)) for (const [k, x] of Object.entries(v)) allPaths(x, [...prefix, k], out);
  return out;
}

function objectPaths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (isRec(v)) {
    out.push(prefix);
    for (const [k, x] of Object.entries(v)) objectPaths(x, [...prefix, k], out);
  } else if (Array.isArray(v)) v.forEach((x, i) => objectPaths(x, [...prefix, i], out));
  return out;
}

interface Case {
  base: Rec;
  puts: { where: Path | number; value: unknown }[];
  key?: { at: number; key: string; value: unknown };
}

const BASES: Rec[] = [...realReviews(), ...workedObjects().map((o, i) => wrapReview(o, { uid: `worked-bound-${i}` }))];

const hostileCase: fc.Arbitrary<Case> = fc.record(
  {
    base: fc.constantFrom(...BASES),
    puts: fc.array(fc.record({ where: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NAMED_PATHS) }, { weight: 1, arbitrary: fc.nat() }), value: hostileValue }), { minLength: 1, maxLength: 3 }),
    key: fc.record({ at: fc.nat(), key: hostileString, value: hostileValue }),
  },
  { requiredKeys: ['base', 'puts'] },
);

/** The case as a request body (JSON text). */
function bodyOf(c: Case): string {
  const doc = clone(c.base);
  for (const p of c.puts) {
    if (typeof p.where === 'number') {
      const paths = allPaths(doc);
      const path = paths[p.where % paths.length];
      if (!path) throw new Error('the base review has no paths');
      setAt(doc, path, clone(p.value));
    } else setAt(doc, p.where, clone(p.value));
  }
  if (c.key) {
    // Prefer the object under review: spec.tls is closed, so a key there is reported.
    const objs = objectPaths(doc).filter((p) => p[0] === 'request');
    const at = objs[c.key.at % Math.max(1, objs.length)] ?? [];
    let target: unknown = doc;
    for (const k of at) target = (target as Record<string | number, unknown>)[k];
    if (isRec(target)) target[c.key.key] = clone(c.key.value);
  }
  return spliceDeep(JSON.stringify(doc));
}

// ------------------------------------------------------------------ the apps

interface BoundApp {
  app: FastifyInstance;
  lines: string[];
}

/** An issuer name over every run limit, short enough to repeat 300 times in one body. */
const LONG = 'x'.repeat(400);

/** A view that holds hostile objects too: a huge-named paused, halted database and issuer, busy siblings. */
function hostileView(): MemoryView {
  const objs = busyStateObjects() as Rec[];
  const found = objs.find((o) => o['kind'] === 'Singlestore');
  if (!found) throw new Error('the busy state has no Singlestore');
  const db = clone(found);
  for (const name of [HUGE, 'sample-sdb\n\n\n']) {
    const d = clone(db);
    (d['metadata'] as Rec)['name'] = name;
    d['status'] = { phase: 'Provisioning', conditions: [{ type: 'Paused', status: 'True', reason: `Paused${HUGE}`, message: `by ${'\u001b[31m'.repeat(10_000)} ${HUGE}` }] };
    objs.push(d);
  }
  for (const [name, reason] of [[HUGE, HUGE], [LONG, 'NotReady']] as const) {
    objs.push({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name, namespace: 'demo' }, status: { conditions: [{ type: 'Ready', status: 'False', reason }] } });
  }
  objs.push({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: HUGE }, status: {} });
  for (const [name, type] of [[`busy-${HUGE}`, 'Restart'], [`tls-${HUGE}`, 'ReconfigureTLS']] as const) {
    objs.push({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name, namespace: 'demo' }, spec: { type, databaseRef: { name: HUGE } }, status: { phase: 'Progressing' } });
    objs.push({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name, namespace: 'demo' }, spec: { type: `${type}${HUGE}`, databaseRef: { name: 'sample-sdb' } }, status: { phase: 'Pending' } });
  }
  return MemoryView.from(objs);
}

const POLICY = parsePolicy(
  ['allowedIssuers:', '  - {kind: ClusterIssuer, name: "*"}', 'protectTLS: {}', 'certificateDuration: {min: 24h, max: 8760h}', 'privateKeyEncoding: PKCS8'].join('\n'),
  'inline policy',
);

function boundApp(withView: boolean): BoundApp {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(line);
      cb();
    },
  });
  const app = buildApp({ metrics: createMetrics(), logger: pino({ level: 'info' }, sink), ...(withView ? { view: hostileView(), policy: POLICY } : {}) });
  return { app, lines };
}

const apps = { hostile: boundApp(true), plain: boundApp(false) };
t.teardown(async () => {
  for (const a of Object.values(apps)) await a.app.close();
});

// ------------------------------------------------------------------ the bounds

class Broken extends Error {}
function check(cond: boolean, what: string, detail?: unknown): void {
  if (!cond) {
    // JSON.stringify gives undefined for a function or a symbol, which its `string` type leaves out.
    const text = JSON.stringify(detail) as string | undefined;
    throw new Broken(`${what}${detail === undefined ? '' : `: ${String(text?.slice(0, 400))}`}`);
  }
}

function bounded(s: unknown, max: number, what: string): void {
  check(typeof s === 'string', `${what} is not a string`, s);
  const str = s as string;
  check(str.length <= max, `${what}: ${str.length} characters, bound ${max}`, str.slice(0, 200));
  check(!RAW_CONTROL.test(str), `${what}: a raw control character`, str.slice(0, 200));
}

/** Everything an answer can hold besides the echoed uid: 100 causes, the aggregate, 20 warnings; x2 for JSON escapes. */
const ANSWER_MAX = 2 * (MAX_CAUSES * (MESSAGE_MAX + FIELD_MAX + 64) + AGGREGATE_MAX + MAX_WARNINGS * WARNING_MAX + 2048);

/** A warning names its field first (`spec.databaseRef: ...`), or is the count of the ones left out. */
const NAMES_A_FIELD = /^[^\s:]+: \S|^and \d+ more warnings/;

function checkAnswer(url: string, status: number, text: string): void {
  check([200, 400, 413, 415].includes(status), `${url}: status ${status}`, text.slice(0, 300));
  const body = JSON.parse(text) as Rec;
  if (status !== 200) {
    bounded(body['message'], MESSAGE_MAX, `${url}: ${status} message`);
    return;
  }
  const r = body['response'] as Rec;
  check(isRec(r) && typeof r['uid'] === 'string', `${url}: no response uid`);
  check(text.length - JSON.stringify(r['uid']).length <= ANSWER_MAX, `${url}: answer of ${text.length} characters (uid aside), bound ${ANSWER_MAX}`);
  const st = r['status'] as Rec | undefined;
  if (st) {
    bounded(st['message'], AGGREGATE_MAX, `${url}: status.message`);
    const details = st['details'] as Rec | undefined;
    const causes = (details?.['causes'] ?? []) as Rec[];
    check(causes.length <= MAX_CAUSES, `${url}: ${causes.length} causes`);
    if (details?.['name'] !== undefined) bounded(details['name'], 253, `${url}: details.name`);
    for (const c of causes) {
      bounded(c['message'], MESSAGE_MAX, `${url}: cause message`);
      bounded(c['field'], FIELD_MAX, `${url}: cause field`);
    }
    const first = causes[0];
    if (first?.['field']) {
      check((st['message'] as string).includes(`${first['field'] as string}: `), `${url}: the message does not name the first cause's field`, { field: first['field'], message: st['message'] });
    }
  }
  const warnings = (r['warnings'] ?? []) as unknown[];
  check(warnings.length <= MAX_WARNINGS, `${url}: ${warnings.length} warnings`);
  for (const w of warnings) {
    bounded(w, WARNING_MAX, `${url}: warning`);
    check(NAMES_A_FIELD.test(w as string), `${url}: a warning that names no field`, w);
  }
  for (const v of Object.values((r['auditAnnotations'] ?? {}) as Rec)) bounded(v, 2048, `${url}: audit annotation`);
}

const FIELD_BOUND: Record<string, number> = {
  uid: LOG_FIELD_MAX,
  user: LOG_FIELD_MAX,
  namespace: LOG_FIELD_MAX,
  name: LOG_FIELD_MAX,
  kind: LOG_FIELD_MAX,
  operation: LOG_FIELD_MAX,
  reqId: LOG_FIELD_MAX,
  reason: MESSAGE_MAX,
  error: MESSAGE_MAX,
  err: MESSAGE_MAX,
  skipped: LOG_FIELD_MAX,
  url: LOG_FIELD_MAX,
};

function checkStrings(v: unknown, where: string, max: number): void {
  if (typeof v === 'string') bounded(v, max, where);
  else if (Array.isArray(v)) v.forEach((x, i) => checkStrings(x, `${where}[${i}]`, LOG_FIELD_MAX));
  else if (isRec(v)) for (const [k, x] of Object.entries(v)) checkStrings(x, `${where}.${k}`, FIELD_BOUND[k] ?? LOG_STACK_MAX);
}

function checkLogLines(lines: readonly string[]): void {
  for (const line of lines) {
    check(line.length <= LOG_LINE_MAX, `a log line of ${line.length} characters, bound ${LOG_LINE_MAX}`, line.slice(0, 300));
    const rec = JSON.parse(line) as Rec;
    checkStrings(rec, 'log', LOG_STACK_MAX);
  }
}

async function send(a: BoundApp, url: string, payload: string): Promise<void> {
  const before = a.lines.length;
  const res = await a.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
  await new Promise((resolve) => setImmediate(resolve)); // the decision line is written after the answer
  checkAnswer(url, res.statusCode, res.body);
  const lines = a.lines.slice(before);
  checkLogLines(lines);
  if (res.statusCode === 200) check(lines.length === 1, `${url}: ${lines.length} log lines for one decision`);
}

t.test('property: hostile values in every field keep every answer, cause, warning and log line bounded', async (t) => {
  const details = await fc.check(
    fc.asyncProperty(hostileCase, fc.constantFrom('/validate', '/mutate'), fc.boolean(), async (c, url, withView) => {
      await send(withView ? apps.hostile : apps.plain, url, bodyOf(c));
    }),
    { numRuns: 250, ...(seed !== undefined ? { seed } : {}) },
  );
  if (details.failed) {
    const err = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    t.fail(`${err.slice(0, 2000)} (seed ${details.seed}, path ${details.counterexamplePath ?? ''}; FC_SEED=${details.seed} replays it)`);
  } else t.equal(details.numRuns, 250, '250 cases, none out of bounds');
});

// ------------------------------------------------------------------ the field is still named

const ADD_TLS = ((): Rec => {
  const found = workedObjects().find((o) => (o['metadata'] as Rec)['name'] === 'sdbops-add-tls');
  if (!found) throw new Error('no worked request sdbops-add-tls');
  return found;
})();
const MORE = /… \(\d+ more characters\)/;

async function validate(a: BoundApp, object: Rec, uid = 'u-1'): Promise<{ status: number; json: Rec; lines: Rec[] }> {
  const before = a.lines.length;
  const res = await a.app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(wrapReview(object, { uid })) });
  await new Promise((resolve) => setImmediate(resolve));
  checkAnswer('/validate', res.statusCode, res.body);
  checkLogLines(a.lines.slice(before));
  return { status: res.statusCode, json: JSON.parse(res.body) as Rec, lines: a.lines.slice(before).map((l) => JSON.parse(l) as Rec) };
}

const FIELD_CASES: { at: Path; field: string; rule: RegExp; value?: string }[] = [
  { at: ['spec', 'databaseRef', 'name'], field: 'spec.databaseRef.name', rule: /Invalid value: "x+"… \(69\d{3} more characters\): must be no more than 63 characters/ },
  { at: ['spec', 'timeout'], field: 'spec.timeout', rule: /Invalid value: "x+"… \(69\d{3} more characters\): time: / },
  { at: ['spec', 'tls', 'issuerRef', 'name'], field: 'spec.tls.issuerRef.name', rule: /Invalid value: "x+"… \(69\d{3} more characters\)/ },
  { at: ['spec', 'tls', 'certificates', 0, 'alias'], field: 'spec.tls.certificates[0].alias', rule: /Unsupported value: "x+"… \(69\d{3} more characters\): supported values: "server"/ },
  // A long ASCII dnsName is only a warning (cert-manager would issue it); one it refuses (not ASCII) is denied.
  { at: ['spec', 'tls', 'certificates', 0, 'dnsNames', 0], field: 'spec.tls.certificates[0].dnsNames[0]', rule: /Invalid value: "x+"… \(69\d{3} more characters\): must be ASCII/, value: `${HUGE}é` },
  { at: ['spec', 'tls', 'certificates', 0, 'duration'], field: 'spec.tls.certificates[0].duration', rule: /Invalid value: "x+"… \(69\d{3} more characters\): time: invalid duration "x+"… \(69\d{3} more characters\)/ },
  { at: ['spec', 'type'], field: 'spec.type', rule: /Unsupported value: "x+"… \(69\d{3} more characters\): supported values: / },
];

t.test('a 70,000-character value: the cause is at its field, the value cut, the rest of the message kept', async (t) => {
  for (const fc_ of FIELD_CASES) {
    const obj = clone(ADD_TLS);
    setAt(obj, fc_.at, fc_.value ?? HUGE);
    const { status, json } = await validate(apps.plain, obj);
    t.equal(status, 200, fc_.field);
    const st = (json['response'] as Rec)['status'] as Rec;
    const causes = (st['details'] as Rec)['causes'] as Rec[];
    const c = causes.find((x) => x['field'] === fc_.field);
    t.ok(c, `a cause at ${fc_.field}`);
    t.match(String(c?.['message']), fc_.rule, `${fc_.field}: ${String(c?.['message']).slice(0, 80)}…`);
    t.ok((st['message'] as string).includes(`${fc_.field}: `), `${fc_.field} named in status.message`);
  }
});

t.test('an unknown key of 70,000 characters under spec.tls: the field is cut but still starts at spec.tls', async (t) => {
  const obj = clone(ADD_TLS);
  ((obj['spec'] as Rec)['tls'] as Rec)[`\u001b[31m${HUGE}`] = true;
  const { json } = await validate(apps.plain, obj);
  const st = (json['response'] as Rec)['status'] as Rec;
  const [c] = (st['details'] as Rec)['causes'] as Rec[];
  if (!c) throw new Error('no status cause');
  t.match(String(c['field']), /^spec\.tls\.\\u001b\[31mx+… \(\d+ more characters\)$/);
  t.match(String(c['message']), /^Forbidden: unknown field "spec\.tls\.\\u001b\[31mx+… \(\d+ more characters\)/);
});

t.test('the cluster rules: a huge database name and a huge paused reason stay bounded and named', async (t) => {
  const obj = clone(ADD_TLS);
  setAt(obj, ['spec', 'databaseRef', 'name'], HUGE);
  const { json } = await validate(apps.hostile, obj);
  const st = (json['response'] as Rec)['status'] as Rec;
  const causes = (st['details'] as Rec)['causes'] as Rec[];
  const paused = causes.find((c) => String(c['message']).includes('is paused'));
  t.ok(paused, 'database-paused reported');
  t.equal(paused?.['field'], 'spec.databaseRef');
  t.match(String(paused?.['message']), /^Forbidden: Singlestore demo\/x+… \(\d+ more characters\) is paused/);
  t.ok(String(paused?.['message']).length <= MESSAGE_MAX);
  const warnings = ((json['response'] as Rec)['warnings'] ?? []) as string[];
  t.ok(warnings.length > 0, 'warnings given');
  for (const w of warnings) t.ok(w.length <= WARNING_MAX, `warning of ${w.length}: ${w.slice(0, 60)}…`);
});

t.test('the envelope: 400 reasons quote a huge kind, apiVersion or operation cut; a huge uid is echoed but not logged whole', async (t) => {
  const review = wrapReview(ADD_TLS);
  for (const [path, re] of [
    [['kind'], /^body is not an AdmissionReview: kind is "x+"… \(69\d{3} more characters\)$/],
    [['apiVersion'], /^unsupported AdmissionReview apiVersion "x+"… \(69\d{3} more characters\): supported are/],
    [['request', 'operation'], /^AdmissionReview request.operation "x+"… \(69\d{3} more characters\) is not one of/],
    [['request', 'kind'], /^request\.kind must be an object with group, version and kind, got an array$/],
  ] as [Path, RegExp][]) {
    const doc = clone(review);
    setAt(doc, path, path[1] === 'kind' ? [HUGE] : HUGE);
    const a = apps.plain;
    const before = a.lines.length;
    const res = await a.app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(doc) });
    await new Promise((resolve) => setImmediate(resolve));
    t.equal(res.statusCode, 400, path.join('.'));
    t.match((JSON.parse(res.body) as Rec)['message'], re);
    checkLogLines(a.lines.slice(before));
    const last = a.lines.at(-1);
    if (last === undefined) throw new Error('no log line');
    const line = JSON.parse(last) as Rec;
    t.match(line['reason'], re, 'the log line gives the same reason');
  }
  const doc = clone(review);
  setAt(doc, ['request', 'uid'], `${HUGE}\n`);
  setAt(doc, ['request', 'userInfo', 'username'], `\u001b[2J${HUGE}`);
  const before = apps.plain.lines.length;
  const res = await apps.plain.app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(doc) });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(res.statusCode, 200);
  t.equal(((JSON.parse(res.body) as Rec)['response'] as Rec)['uid'], `${HUGE}\n`, 'the uid is echoed exactly (the API server matches it)');
  const first = apps.plain.lines[before];
  if (first === undefined) throw new Error('no log line for the review');
  const line = JSON.parse(first) as Rec;
  t.match(line['uid'], MORE, 'the log line cuts it');
  t.ok((line['uid'] as string).length <= LOG_FIELD_MAX);
  t.match(line['user'], /^\\u001b\[2Jx+… \(\d+ more characters\)$/, 'the user is escaped and cut');
});

t.test('3,000 bad dnsNames and 300 not-ready issuers: 100 causes, the aggregate says how many more, 20 warnings', async (t) => {
  const obj = clone(ADD_TLS);
  // Not ASCII: cert-manager cannot issue them, so each is denied (a merely unusual name would only warn).
  setAt(obj, ["spec", "tls", "certificates", 0, "dnsNames"], Array.from({ length: 3_000 }, (_, i) => `Bäd-name-${i}`));
  const { json } = await validate(apps.plain, obj);
  const st = (json['response'] as Rec)['status'] as Rec;
  const causes = (st['details'] as Rec)['causes'] as Rec[];
  t.equal(causes.length, MAX_CAUSES, 'causes capped');
  t.equal(causes[0]?.['field'], 'spec.tls.certificates[0].dnsNames[0]');
  t.match(st['message'], /^\[spec\.tls\.certificates\[0\]\.dnsNames\[0\]: Invalid value: "Bäd-name-0": .*, and \d+ more errors\]$/);
  t.ok((st['message'] as string).length <= AGGREGATE_MAX);

  const many = clone(ADD_TLS);
  setAt(many, ['spec', 'tls', 'certificates'], Array.from({ length: 300 }, () => ({ alias: 'client', issuerRef: { kind: 'Issuer', name: LONG } })));
  const res = await validate(apps.hostile, many);
  const warnings = ((res.json['response'] as Rec)['warnings'] ?? []) as string[];
  t.equal(warnings.length, MAX_WARNINGS, 'warnings capped');
  t.match(warnings[MAX_WARNINGS - 1], /^and \d+ more warnings \(rules: [a-z-]+(, [a-z-]+)*\)$/);
  const issuer = warnings.find((w) => w.startsWith('spec.tls.certificates[0].issuerRef.name: '));
  t.match(issuer, /^spec\.tls\.certificates\[0\]\.issuerRef\.name: Issuer demo\/x+… \(\d+ more characters\) is not ready \(Ready=False NotReady\); certificates wait$/, 'the warning keeps its end');
});
