// Issue 16 for the reconciler: condition messages, Events and log lines stay bounded
// whatever the request and the cluster hold (docs/security.md). A request the webhook
// would have denied can still be in the cluster (webhook-only off, failurePolicy
// Ignore, created before the webhook): the pre-flight fails it, and that message quotes
// its values. Planner level (plan() on hostile observations) and controller level
// (the Reconciler over the in-memory ports, every Event and condition it wrote).
import t from 'tap';
import fc from 'fast-check';
import type { Condition, SinglestoreOpsRequest } from '../../src/api/types.js';
import { CONDITION_MESSAGE_MAX, EVENT_MESSAGE_MAX, LOG_FIELD_MAX, MESSAGE_MAX } from '../../src/core/field/quote.js';
import { plan, type Plan } from '../../src/core/reconcile/index.js';
import type { Finding } from '../../src/core/findings.js';
import type { Logger } from '../../src/controller/types.js';
import { addRequest, makeReconciler, newHarness, seedState } from '../support/reconcile-harness.js';
import { database, request, T0, TLS_ON } from '../core/reconcile/builders.js';
import { HUGE, hostileString, OBJECT_FIELDS, setAt } from '../fuzz/arbitraries.js';

// eslint-disable-next-line no-control-regex -- finding raw control characters in the output is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function bounded(s: string | undefined, max: number, what: string): void {
  if (s === undefined) return;
  if (s.length > max) throw new Error(`${what}: ${s.length} characters, bound ${max}: ${s.slice(0, 120)}`);
  if (RAW_CONTROL.test(s)) throw new Error(`${what}: a raw control character: ${JSON.stringify(s.slice(0, 120))}`);
}

function checkPlan(p: Plan): void {
  if (p.type === 'wait') bounded(p.message, CONDITION_MESSAGE_MAX, 'wait message');
  if (p.type !== 'act') return;
  bounded(p.event.message, EVENT_MESSAGE_MAX, 'event message');
  bounded(p.status?.condition?.message, CONDITION_MESSAGE_MAX, 'condition message');
}

t.test('planner: hostile names, pause reasons and findings give bounded events, conditions and waits', async (t) => {
  fc.assert(
    fc.property(hostileString, hostileString, fc.constantFrom('', 'Pending', 'Progressing', 'Failed'), fc.integer({ min: 0, max: 600 }), (name, reason, phase, nFindings) => {
      const req = request(TLS_ON, { name, phase, conds: phase === 'Progressing' ? [] : [] });
      req.metadata = { ...req.metadata, namespace: name.slice(0, 100) };
      req.spec = { ...req.spec, databaseRef: { name } };
      const db = database(undefined, { pausedBy: reason, phase: 'Provisioning' });
      const findings: Finding[] = Array.from({ length: nFindings }, (_, i) => ({ rule: 'database-exists', type: 'NotFound', field: 'spec.databaseRef.name', detail: `${i} ${name}` }));
      for (const obs of [
        { request: req, siblings: [], database: db, certificates: [], secrets: [], petSets: [], pods: [] },
        { request: req, siblings: [], certificates: [], secrets: [], petSets: [], pods: [] },
      ]) {
        checkPlan(plan(obs, T0, { preflight: () => findings }));
        checkPlan(plan(obs, T0));
        checkPlan(plan(obs, T0 + 3_600_000, { preflight: () => findings })); // past spec.timeout
      }
    }),
    { numRuns: 200 },
  );
  t.pass('200 cases');
});

interface Captured {
  logger: Logger;
  lines: object[];
}

function capture(): Captured {
  const lines: object[] = [];
  const push = (obj: object, msg?: string): void => void lines.push({ ...obj, msg });
  return { logger: { info: push, warn: push, error: push, debug: push }, lines };
}

function checkLogFields(lines: readonly object[]): void {
  for (const l of lines) {
    for (const [k, v] of Object.entries(l)) if (typeof v === 'string') bounded(v, k === 'message' || k === 'err' ? MESSAGE_MAX : LOG_FIELD_MAX, `log ${k}`);
  }
}

t.test('reconciler: a request with a hostile value in any field ends with bounded conditions, Events and log lines', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...OBJECT_FIELDS.filter((p) => p[0] === 'spec')), hostileString, fc.boolean(), async (path, value, pausedByOther) => {
      runs++;
      const h = newHarness();
      seedState(h, 'state.yaml');
      if (pausedByOther) {
        h.store.patch('Singlestore', 'demo', 'sample-sdb', { status: { conditions: [{ type: 'Paused', status: 'True', reason: `Other${value}`, message: value, lastTransitionTime: h.clock.iso() } as Condition] } }, true);
      }
      const req = addRequest(h, 'add-tls.yaml');
      const obj = structuredClone(req) as unknown as Record<string, unknown>;
      setAt(obj, path, value);
      h.store.put('SinglestoreOpsRequest', obj);
      const db = (obj['spec'] as { databaseRef?: { name?: unknown } }).databaseRef?.name;
      const log = capture();
      const rec = makeReconciler(h, { logger: log.logger });
      for (let i = 0; i < 12; i++) {
        await rec.reconcileDatabase('demo', typeof db === 'string' ? db : 'sample-sdb');
        h.certManager.step();
        h.petSets.step();
        h.clock.advance(15_000);
      }
      for (const e of h.store.events) bounded(e.message, EVENT_MESSAGE_MAX, `event ${e.reason}`);
      for (const r of h.store.list<SinglestoreOpsRequest>('SinglestoreOpsRequest', 'demo')) {
        for (const c of r.status?.conditions ?? []) bounded(c.message, CONDITION_MESSAGE_MAX, `condition ${c.type}`);
      }
      checkLogFields(log.lines);
    }),
    { numRuns: 40 },
  );
  t.equal(runs, 40, '40 cases');
});

t.test('reconciler: the Failed condition and its Event name the field and cut the value', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  addRequest(h, 'add-tls.yaml', { spec: { tls: { issuerRef: { name: HUGE, kind: 'Issuer', apiGroup: 'cert-manager.io' } } } });
  const rec = makeReconciler(h);
  for (let i = 0; i < 5; i++) {
    await rec.reconcileDatabase('demo', 'sample-sdb');
    h.clock.advance(1000);
  }
  const r = h.store.get('SinglestoreOpsRequest', 'demo', 'sdbops-add-tls');
  t.equal(r?.status?.phase, 'Failed');
  const failed = r?.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '';
  t.match(failed, /spec\.tls\.issuerRef\.name: Invalid value: "x+"… \(69744 more characters\)/);
  t.ok(failed.length <= CONDITION_MESSAGE_MAX, `${failed.length} characters`);
  const ev = h.store.events.find((e) => e.reason === 'Failed');
  t.match(ev?.message, /^\[?spec\.tls\.issuerRef\.name: /);
  t.ok((ev?.message.length ?? 0) <= EVENT_MESSAGE_MAX);
});
