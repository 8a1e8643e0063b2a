// The two schedulers of src/server/scheduler.ts. immediateScheduler (the app's default,
// what tests use): a decision's metrics and log line are recorded before inject()
// resolves. batchedScheduler (main's): recorded after its answer (AfterAnswer), never
// lost, in order, counted by any scrape that follows the answer; decisions of one
// event-loop turn are made together (DecisionBatch).
import t from 'tap';
import { AfterAnswer, batchedScheduler, DecisionBatch, immediateScheduler } from '../../src/server/scheduler.js';
import { admissionFixture, makeApp, settled } from './helpers.js';

const body = () => admissionFixture('v1-create-allowed.json');

/** An allowed outcome answering `uid`. */
const outcome = (uid: string | number) => ({ response: { uid: String(uid), allowed: true }, verdict: 'allowed' as const, rules: { deny: [], warn: [], default: [] }, warnings: 0, notEvaluated: [] });

t.test('immediate: the line and the count are there when inject resolves', async (t) => {
  const { app, logs, deps } = makeApp();
  const res = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: body() });
  t.equal(res.statusCode, 200);
  t.equal(logs.filter((l) => l['msg'] === 'admission decision').length, 1, 'written with the answer');
  t.equal((await deps.metrics.reviews.get()).values.find((v) => v.labels.verdict === 'allowed')?.value, 1, 'counted with the answer');
  await app.close();
});

t.test('immediate: decides in the caller, records at once, swallows a throwing recording', async (t) => {
  const seen: string[] = [];
  t.equal((immediateScheduler.decide(() => outcome('now')) as { response: { uid: string } }).response.uid, 'now', 'no promise, no hop');
  t.throws(() => immediateScheduler.decide(() => { throw new Error('engine bug'); }), /engine bug/, 'the exception is the caller\'s');
  immediateScheduler.afterAnswer(() => seen.push('r1'));
  immediateScheduler.afterAnswer(() => {
    throw new Error('log stream broken');
  });
  immediateScheduler.afterAnswer(() => seen.push('r2'));
  t.same(seen, ['r1', 'r2']);
});

t.test('batched: the line follows the answer: absent when inject resolves, present one turn later', async (t) => {
  const { app, logs } = makeApp({ scheduler: batchedScheduler() });
  const res = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: body() });
  t.equal(res.statusCode, 200);
  t.equal(logs.filter((l) => l['msg'] === 'admission decision').length, 0, 'not yet written');
  await settled();
  t.equal(logs.filter((l) => l['msg'] === 'admission decision').length, 1, 'written after the answer');
  await app.close();
});

t.test('batched: a scrape right after the answers counts every one of them', async (t) => {
  const { app } = makeApp({ scheduler: batchedScheduler() });
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: body() })),
  );
  t.same(answers.map((a) => a.statusCode), [200, 200, 200, 200, 200]);
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(metrics.body, /sdb_tls_guard_admission_reviews_total\{webhook="validate",verdict="allowed"\} 5\n/);
  await app.close();
});

t.test('batched: close records what is still queued', async (t) => {
  const { app, logs } = makeApp({ scheduler: batchedScheduler() });
  await app.inject({ method: 'POST', url: '/mutate', headers: { 'content-type': 'application/json' }, payload: body() });
  await app.close();
  t.equal(logs.filter((l) => l['msg'] === 'admission decision').length, 1);
});

t.test('AfterAnswer: one turn batches, order is kept, a throwing recorder loses nothing else', async (t) => {
  const seen: string[] = [];
  const aa = new AfterAnswer();
  const record = (reqId: string) => () => {
    if (reqId === 'bad') throw new Error('log stream broken');
    seen.push(reqId);
  };
  for (const id of ['r1', 'bad', 'r2', 'r3']) aa.add(record(id));
  t.same(seen, [], 'nothing before the turn ends');
  await settled();
  t.same(seen, ['r1', 'r2', 'r3']);
  aa.add(record('r4'));
  aa.drain();
  t.same(seen, ['r1', 'r2', 'r3', 'r4'], 'drain records at once');
  await settled();
  t.same(seen, ['r1', 'r2', 'r3', 'r4'], 'and only once');
});

t.test('DecisionBatch: one turn decides together, in order; an exception rejects only its own request', async (t) => {
  const batch = new DecisionBatch();
  const ran: number[] = [];
  const ps = [1, 2, 3].map((n) =>
    batch.run(() => {
      ran.push(n);
      if (n === 2) throw new Error('engine bug');
      return outcome(n);
    }),
  );
  t.same(ran, [], 'nothing decided inside the turn that asked');
  const results = await Promise.allSettled(ps);
  t.same(ran, [1, 2, 3], 'decided together, in arrival order');
  t.same(
    results.map((r) => (r.status === 'fulfilled' ? r.value.response.uid : (r.reason as Error).message)),
    ['1', 'engine bug', '3'],
  );
  // the next turn starts a new batch
  t.equal((await batch.run(() => outcome(4))).response.uid, '4');
});

t.test('concurrent reviews through the app each get their own answer (batched turn)', async (t) => {
  const { app } = makeApp({ scheduler: batchedScheduler() });
  const uids = Array.from({ length: 20 }, (_, i) => `uid-${i}`);
  const answers = await Promise.all(
    uids.map((uid) => {
      const review = JSON.parse(body()) as { request: { uid: string } };
      review.request.uid = uid;
      return app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(review) });
    }),
  );
  t.same(
    answers.map((a) => (JSON.parse(a.body) as { response: { uid: string } }).response.uid),
    uids,
  );
  await app.close();
});

t.test('DecisionBatch: a batch that ran for maxBatchMs stops; the rest is decided in the next turn', async (t) => {
  let clock = 0;
  const batch = new DecisionBatch(2, () => clock);
  const done: number[] = [];
  const ps = [1, 2, 3, 4].map((n) =>
    batch
      .run(() => {
        if (n === 2) clock += 5; // one slow review
        return outcome(n);
      })
      .then((o) => done.push(Number(o.response.uid))),
  );
  await settled();
  t.same(done, [1, 2], 'the answers decided before the cut go out');
  await Promise.all(ps);
  t.same(done, [1, 2, 3, 4], 'the rest follows in the next turn, in order');
});
