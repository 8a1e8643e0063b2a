// What the per-request cost cuts must keep (bench/inject-cost.ts measures them): the
// decision line written through the app logger still carries the request id as a
// child logger would have put it; lines written through request.log (a rejected body,
// the debug request lines) still come out with their reqId; the compiled response
// serializer keeps every AdmissionResponse field; the patch applier copies each
// container once and never changes its input; reused metric labels count correctly.
import { Writable } from 'node:stream';
import t from 'tap';
import { pino } from 'pino';
import { buildApp } from '../../src/server/app.js';
import { createMetrics, REVIEW_BATCH } from '../../src/metrics.js';
import { LazyChildLogger, lazyChildLoggerFactory } from '../../src/server/lazy-logger.js';
import { applyPatch } from '../../src/core/defaults.js';
import type { AdmissionEngine } from '../../src/server/decisions.js';
import type { Scheduler } from '../../src/server/admission-route.js';
import { batchedScheduler } from '../../src/server/scheduler.js';
import { admissionFixture, post, sentReview, settled, stateView } from './helpers.js';

function rawApp(level: string, engine?: AdmissionEngine, scheduler?: Scheduler) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(line);
      cb();
    },
  });
  const app = buildApp({ metrics: createMetrics(), logger: pino({ level, base: { app: 'sdb-tls-guard' } }, sink), view: stateView('state.yaml'), ...(engine ? { engine } : {}), ...(scheduler ? { scheduler } : {}) });
  return { app, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

t.test('decision line: reqId right after the base bindings, one id per request, the documented keys in order', async (t) => {
  const { app, lines, parsed } = rawApp('info');
  await post(app, '/validate', admissionFixture('v1-create-allowed.json'));
  const review = sentReview('v1-create-allowed.json');
  delete review.request.object.spec.apply;
  delete review.request.object.spec.timeout;
  await post(app, '/mutate', review);
  t.equal(lines.length, 2, 'one line per decision, nothing else at info');
  const [v, m] = parsed();
  if (!v || !m) throw new Error('not two decision lines');
  t.equal(v['reqId'], 'req-1');
  t.equal(m['reqId'], 'req-2');
  t.same(Object.keys(v), ['level', 'time', 'app', 'reqId', 'uid', 'user', 'namespace', 'name', 'kind', 'operation', 'webhook', 'verdict', 'rules', 'warnings', 'durationMs', 'msg']);
  t.match(v, { level: 30, app: 'sdb-tls-guard', uid: '0f1e2d3c-0001-4000-8000-000000000001', webhook: 'validate', verdict: 'allowed', rules: [], msg: 'admission decision' });
  t.match(m, { webhook: 'mutate', verdict: 'allowed', rules: ['default-apply', 'default-timeout'], msg: 'admission decision' });
  await app.close();
});

t.test('decision line is skipped when info is off; a failure is still logged at error', async (t) => {
  const throwing: AdmissionEngine = {
    decide: () => {
      throw new Error('boom');
    },
  };
  const quiet = rawApp('warn');
  await post(quiet.app, '/validate', admissionFixture('v1-create-allowed.json'));
  t.equal(quiet.lines.length, 0, 'no decision line at warn');
  const failing = rawApp('warn', throwing);
  await post(failing.app, '/validate', admissionFixture('v1-create-allowed.json'));
  const [line] = failing.parsed();
  t.match(line, { level: 50, reqId: 'req-1', webhook: 'validate', verdict: 'denied', error: 'boom', msg: 'admission decision failed: engine error' });
  t.type(line?.['stack'], 'string');
  await quiet.app.close();
  await failing.app.close();
});

t.test('lines through request.log keep their reqId: a rejected body, and the debug request lines', async (t) => {
  const info = rawApp('info');
  const res = await post(info.app, '/validate', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  t.equal(res.status, 400);
  t.match(info.parsed(), [{ level: 30, reqId: 'req-1', webhook: 'validate', status: 400, reason: 'AdmissionReview has no request', msg: 'admission request rejected' }]);

  // The decision is recorded after the answer is written, by either scheduler: at once
  // (the default), or one turn later (batched, AfterAnswer).
  for (const [name, scheduler] of [['immediate', undefined], ['batched', batchedScheduler()]] as const) {
    const debug = rawApp('debug', undefined, scheduler);
    await post(debug.app, '/validate', admissionFixture('v1-create-allowed.json'));
    if (scheduler) await settled();
    const lines = debug.parsed();
    t.same(
      lines.map((l) => [l['reqId'], l['msg']]),
      [
        ['req-1', 'incoming request'],
        ['req-1', 'request completed'],
        ['req-1', 'admission decision'],
      ],
      name,
    );
    t.match(lines[0], { level: 20, method: 'POST', url: '/validate' });
    t.match(lines[1], { level: 20, statusCode: 200 });
    await debug.app.close();
  }
  await info.app.close();
});

t.test('LazyChildLogger makes the pino child only for a line at an enabled level', async (t) => {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString('utf8').trim());
      cb();
    },
  });
  const parent = pino({ level: 'info', base: null }, sink);
  let made = 0;
  const counting = Object.create(parent) as typeof parent;
  counting.child = ((b: Record<string, unknown>, o?: object) => {
    made++;
    return parent.child(b, o);
  });
  const lazy = new LazyChildLogger(counting, { reqId: 'req-9' }, {});
  lazy.debug({ a: 1 }, 'hidden');
  lazy.trace('hidden');
  t.equal(made, 0, 'no child for disabled levels');
  t.equal(lazy.level, 'info');
  t.equal(lazy.isLevelEnabled('debug'), false);
  t.equal(lazy.isLevelEnabled('warn'), true);
  lazy.warn({ b: 2 }, 'shown');
  lazy.info('again');
  t.equal(made, 1, 'one child, made once');
  t.same(
    out.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => ({ reqId: l['reqId'], msg: l['msg'], b: l['b'] })),
    [
      { reqId: 'req-9', msg: 'shown', b: 2 },
      { reqId: 'req-9', msg: 'again', b: undefined },
    ],
  );
  const grand = lazy.child({ component: 'x' });
  grand.info('from the grandchild');
  const [, , third] = out;
  if (third === undefined) throw new Error('no line from the grandchild');
  t.match(JSON.parse(third), { reqId: 'req-9', component: 'x', msg: 'from the grandchild' });
  t.equal(made, 1, 'child() reuses the one real child');

  const withLevel = lazyChildLoggerFactory(parent, { reqId: 'req-10' }, { level: 'debug' });
  t.notOk(withLevel instanceof LazyChildLogger, 'a route level needs the real child at once');
  t.equal(withLevel.level, 'debug');
});

t.test('response serializer keeps every AdmissionResponse field (denied with causes, warnings, audit annotations)', async (t) => {
  const engine: AdmissionEngine = {
    decide: () => ({
      patch: [],
      defaulted: {},
      result: {
        errors: [{ rule: 'timeout', field: 'spec.timeout', type: 'Invalid', value: 'x', detail: 'not a duration' }],
        warnings: [{ rule: 'tls-ignored', field: 'spec.tls', detail: 'ignored second line' }],
        notEvaluated: [{ rule: 'database-exists', field: 'spec.databaseRef.name', message: 'no view' }],
      },
    }) as unknown as ReturnType<AdmissionEngine['decide']>,
  };
  const { app } = rawApp('silent', engine);
  const res = await post(app, '/validate', admissionFixture('v1-create-allowed.json'));
  t.equal(res.status, 200);
  t.strictSame(res.json(), {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: '0f1e2d3c-0001-4000-8000-000000000001',
      allowed: false,
      status: {
        status: 'Failure',
        code: 422,
        reason: 'Invalid',
        message: 'spec.timeout: Invalid value: "x": not a duration',
        details: {
          name: 'sdbops-add-tls',
          group: 'ops.kubedb.com',
          kind: 'SinglestoreOpsRequest',
          causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "x": not a duration', field: 'spec.timeout' }],
        },
      },
      warnings: ['spec.tls: ignored second line'],
      auditAnnotations: { 'denied-by': 'timeout', 'warned-by': 'tls-ignored', 'not-evaluated': 'database-exists' },
    },
  });
  await app.close();
});

t.test('applyPatch: containers copied once per patch, the input and patch values never changed', async (t) => {
  const input = { kind: 'K', spec: { type: 'ReconfigureTLS', tls: { issuerRef: { name: 'ca' } } }, status: { phase: 'x' } };
  const before = JSON.stringify(input);
  const value = { a: 1 };
  const out = applyPatch(input, [
    { op: 'add', path: '/spec/apply', value: 'IfReady' },
    { op: 'add', path: '/spec/timeout', value: '10m' },
    { op: 'add', path: '/spec/tls/issuerRef/apiGroup', value: 'cert-manager.io' },
    { op: 'add', path: '/spec/extra', value },
    { op: 'add', path: '/spec/extra/b', value: 2 },
    { op: 'add', path: '/spec/a~1b~0c', value: 'escaped' },
  ]) as Record<string, unknown>;
  t.equal(JSON.stringify(input), before, 'input unchanged');
  t.same(value, { a: 1 }, 'a patch value is copied before a later op changes it');
  t.same(out, {
    kind: 'K',
    spec: { type: 'ReconfigureTLS', tls: { issuerRef: { name: 'ca', apiGroup: 'cert-manager.io' } }, apply: 'IfReady', timeout: '10m', extra: { a: 1, b: 2 }, 'a/b~c': 'escaped' },
    status: { phase: 'x' },
  });
  t.equal(out['status'], input.status, 'containers off the path are shared, not copied');
  t.not(out['spec'], input.spec);
});

t.test('metrics: reused label objects count each review and each rule once', async (t) => {
  const metrics = createMetrics();
  metrics.recordReview('validate', 'denied', { deny: ['timeout', 'timeout', 'certificate-alias'], warn: ['tls-ignored'] }, 0.001);
  metrics.recordReview('validate', 'denied', { deny: ['timeout'] }, 0.002);
  metrics.recordReview('mutate', 'allowed', { default: ['default-apply'] }, 0.001);
  const text = await metrics.registry.metrics();
  t.match(text, /sdb_tls_guard_admission_reviews_total\{webhook="validate",verdict="denied"\} 2\n/);
  t.match(text, /sdb_tls_guard_admission_reviews_total\{webhook="mutate",verdict="allowed"\} 1\n/);
  t.match(text, /sdb_tls_guard_admission_rule_reviews_total\{webhook="validate",rule="timeout",verdict="deny"\} 2\n/);
  t.match(text, /sdb_tls_guard_admission_rule_reviews_total\{webhook="validate",rule="certificate-alias",verdict="deny"\} 1\n/);
  t.match(text, /sdb_tls_guard_admission_rule_reviews_total\{webhook="validate",rule="tls-ignored",verdict="warn"\} 1\n/);
  t.match(text, /sdb_tls_guard_admission_rule_reviews_total\{webhook="mutate",rule="default-apply",verdict="default"\} 1\n/);
  t.match(text, /sdb_tls_guard_admission_review_duration_seconds_count\{webhook="validate"\} 2\n/);
});

t.test('metrics: reviews counted in batches are exact at every read, across batch boundaries', async (t) => {
  const metrics = createMetrics();
  const n = REVIEW_BATCH * 2 + 3;
  for (let i = 0; i < n; i++) metrics.recordReview(i % 2 ? 'mutate' : 'validate', 'allowed', { default: i % 2 ? ['default-apply'] : [] }, 0.0001 * (i % 7));
  let text = await metrics.registry.metrics();
  const v = Math.ceil(n / 2);
  const m = Math.floor(n / 2);
  t.match(text, new RegExp(`sdb_tls_guard_admission_reviews_total\\{webhook="validate",verdict="allowed"\\} ${v}\\n`));
  t.match(text, new RegExp(`sdb_tls_guard_admission_reviews_total\\{webhook="mutate",verdict="allowed"\\} ${m}\\n`));
  t.match(text, new RegExp(`sdb_tls_guard_admission_rule_reviews_total\\{webhook="mutate",rule="default-apply",verdict="default"\\} ${m}\\n`));
  t.match(text, new RegExp(`sdb_tls_guard_admission_review_duration_seconds_count\\{webhook="validate"\\} ${v}\\n`));
  t.match(text, new RegExp(`sdb_tls_guard_admission_review_duration_seconds_count\\{webhook="mutate"\\} ${m}\\n`));
  let sum = 0;
  for (let i = 0; i < n; i += 2) sum += 0.0001 * (i % 7);
  const got = Number(/sdb_tls_guard_admission_review_duration_seconds_sum\{webhook="validate"\} (\S+)\n/.exec(text)?.[1]);
  t.ok(Math.abs(got - sum) < 1e-9, `duration sum ${got} = ${sum}`);
  // One more review after a scrape shows up in the next read of the metric itself.
  metrics.recordReview('validate', 'denied', { deny: ['timeout'] }, 0.001);
  const denied = await metrics.reviews.get();
  t.equal(denied.values.find((x) => x.labels.verdict === 'denied')?.value, 1, 'Counter.get() flushes too');
  text = await metrics.registry.metrics();
  t.match(text, new RegExp(`sdb_tls_guard_admission_review_duration_seconds_count\\{webhook="validate"\\} ${v + 1}\\n`));
  t.match(text, /sdb_tls_guard_admission_rule_reviews_total\{webhook="validate",rule="timeout",verdict="deny"\} 1\n/);
});
