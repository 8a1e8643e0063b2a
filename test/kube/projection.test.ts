// The informer projections (src/kube/projection.ts) keep every field the rules, the
// planner and the reconciler's writes read. Per kind: the readers run over whole objects
// as the API server sends them (test/support/wire-objects.ts) wrapped in a proxy that
// records every field path read; each path read must have the same value in the
// projected object. Then the readers' answers must be the same on projected objects.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Certificate, Issuer, KubeObject, PetSet, Pod, Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import { decide } from '../../src/core/engine.js';
import type { ClusterView } from '../../src/core/view.js';
import { certificatePatch, certificateReady, certificateState, desiredCertificates, newTLS, pausedConditions, petSetPatch, plan, restartOrder, resumedConditions, targetTLS, type Observed } from '../../src/core/reconcile/index.js';
import { pauseReason } from '../../src/core/names.js';
import { requestStats } from '../../src/controller/request-stats.js';
import { KEEP_ALL, PROJECTIONS, projectInPlace, projectValue } from '../../src/kube/projection.js';
import type { ResourceKey } from '../../src/kube/informer-view.js';
import { wireCertificates, wireIssuer, wireOpsRequest, wirePetSet, wirePod, wireSinglestore } from '../support/wire-objects.js';
import { iso, request, T0 } from '../core/reconcile/builders.js';

type Obj = Record<string, unknown>;

/** A read-recording view of `obj`: every property read (and every key enumeration, as `.*`) is added to `reads`. */
function traced<T>(obj: T, reads: Set<string>, path = ''): T {
  if (typeof obj !== 'object' || obj === null) return obj;
  const isArray = Array.isArray(obj);
  return new Proxy(obj, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || (isArray && (key === 'length' || typeof v === 'function'))) return v;
      const p = isArray ? (/^\d+$/.test(key) ? `${path}[]` : path) : `${path}.${key}`;
      if (!isArray || /^\d+$/.test(key)) reads.add(p);
      return traced(v, reads, p);
    },
    has(target, key) {
      if (typeof key === 'string' && !isArray) reads.add(`${path}.${key}`);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      reads.add(`${path}.*`);
      return Reflect.ownKeys(target);
    },
  });
}

/** Every value at `path` (`[]` expands arrays, `.*` is the value itself). */
function valuesAt(obj: unknown, path: string): unknown[] {
  const segs = path.split(/(?=\.|\[\])/).filter(Boolean);
  let cur: unknown[] = [obj];
  for (const s of segs) {
    if (s === '.*') break;
    const next: unknown[] = [];
    for (const v of cur) {
      if (s === '[]') {
        if (Array.isArray(v)) {
          const items: readonly unknown[] = v;
          next.push(...items);
        }
      } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) next.push((v as Obj)[s.slice(1)]);
      else next.push(undefined);
    }
    cur = next;
  }
  return cur;
}

function projected<T extends KubeObject>(kind: ResourceKey, obj: T): T {
  const copy = structuredClone(obj);
  projectInPlace(copy, PROJECTIONS[kind]);
  return copy;
}

/** Runs `readers` over the traced whole objects; every path read must agree with the projection. */
function checkReads(t: Test, kind: ResourceKey, objects: KubeObject[], readers: (wrap: <T extends KubeObject>(o: T) => T) => unknown) {
  const reads = new Set<string>();
  const byTraced = new Map<object, KubeObject>();
  readers((o) => {
    const p = traced(o, reads);
    byTraced.set(p, o);
    return p;
  });
  t.ok(reads.size > 0, `${kind}: the readers read something (${reads.size} paths)`);
  const missing: string[] = [];
  for (const o of objects) {
    const lean = projected(kind, o);
    for (const path of reads) {
      // A value read is compared whole where the reader enumerated it (`.*`) or it is a
      // leaf; an object merely walked through is compared by presence (its fields read
      // are paths of their own).
      const shape = (v: unknown) => (path.endsWith('.*') || typeof v !== 'object' || v === null ? JSON.stringify(v) : Array.isArray(v) ? `array(${v.length})` : 'object');
      if (JSON.stringify(valuesAt(o, path).map(shape)) !== JSON.stringify(valuesAt(lean, path).map(shape))) missing.push(`${String(o.metadata?.name)}: ${path}`);
    }
  }
  t.strictSame(missing, [], `${kind}: every field read is kept`);
  return reads;
}

// ---- a cluster: one TLS database and one without, with their objects -------------

const tlsDb = wireSinglestore('demo', 'sample-sdb', { tlsIssuer: 'sdb-issuer' }) as Singlestore;
const plainDb = wireSinglestore('demo', 'plain-sdb') as Singlestore;
const certs = wireCertificates(tlsDb as Obj) as Certificate[];
// Made once per database (each wire object gets a fresh uid), copied where a test changes them.
const PET_SETS = new Map(['sample-sdb', 'plain-sdb'].map((db) => [db, [wirePetSet('demo', db, 'aggregator', 2, db === 'sample-sdb'), wirePetSet('demo', db, 'leaf', 1, db === 'sample-sdb')] as PetSet[]]));
const PODS = new Map(['sample-sdb', 'plain-sdb'].map((db) => [db, [0, 1].map((i) => wirePod('demo', db, 'aggregator', i, db === 'sample-sdb')).concat(wirePod('demo', db, 'leaf', 0, db === 'sample-sdb')) as Pod[]]));
function petSets(db: string): PetSet[] {
  const made = PET_SETS.get(db);
  if (!made) throw new Error(`no PetSets made for ${db}`);
  return made;
}
function pods(db: string): Pod[] {
  const made = PODS.get(db);
  if (!made) throw new Error(`no Pods made for ${db}`);
  return made;
}
/** The `i`th of `xs`, which the wire objects above always have. */
function nth<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`no element ${i} of ${xs.length}`);
  return x;
}
/** A wire database's name (wireSinglestore always sets it). */
function nameOf(db: Singlestore): string {
  const name = db.metadata?.name;
  if (name === undefined) throw new Error('a database without a name');
  return name;
}
const issuer = wireIssuer('demo', 'sdb-issuer') as Issuer;
const history = [0, 1, 2, 3, 4].map((i) => wireOpsRequest('demo', `old-${i}`, 'sample-sdb', i)) as SinglestoreOpsRequest[];

const worked = ['add-tls', 'rotate', 'update', 'change-issuer', 'remove'].map((f) => parse(readFileSync(new URL(`../fixtures/worked/${f}.yaml`, import.meta.url), 'utf8')) as SinglestoreOpsRequest);

// The request's conditions are from before the wire pods were created (2026-11-20T10:11:12Z),
// so a restarted pod counts as fresh and its Ready condition is read.
const CONDS_AT = Date.parse('2026-11-20T00:00:00Z');

const STAGES: string[][] = [
  [],
  ['DatabasePauseSucceeded'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets', 'GetPod--sample-sdb-aggregator-0'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets', 'GetPod--sample-sdb-aggregator-0', 'EvictPod--sample-sdb-aggregator-0'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes'],
  ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded'],
];

/** Every plan the planner makes over the cluster, for every worked request at every stage and phase. */
function plans(w: { db: <T extends KubeObject>(o: T) => T; ops: <T extends KubeObject>(o: T) => T; cert: <T extends KubeObject>(o: T) => T; ps: <T extends KubeObject>(o: T) => T; pod: <T extends KubeObject>(o: T) => T }): unknown[] {
  const out: unknown[] = [];
  for (const [db, tls] of [[tlsDb, true], [plainDb, false]] as const) {
    const name = nameOf(db);
    for (const r of worked) {
      const tlsSpec = r.spec?.tls;
      if (!tlsSpec) throw new Error(`the worked request ${String(r.metadata?.name)} has no spec.tls`);
      for (const phase of ['', 'Pending', 'Progressing', 'Successful']) {
        for (const conds of phase === 'Progressing' ? STAGES : [[]]) {
          const base = request(tlsSpec, { phase, conds, condTime: CONDS_AT, condMessages: { 'EvictPod--sample-sdb-aggregator-0': 'evicted (uid 7c0f3a2e-9b1d-4e5f-8a6b-000000000001)' } });
          const req = w.ops({ ...base, spec: { ...base.spec, databaseRef: { name } } });
          const database = w.db(db);
          const obs: Observed = {
            request: req,
            siblings: history.map((h) => w.ops(h)),
            database,
            certificates: tls ? certs.map((c) => w.cert(c)) : [],
            secrets: [],
            petSets: petSets(name).map((p) => w.ps(p)),
            pods: pods(name).map((p) => w.pod(p)),
          };
          out.push(plan(obs, CONDS_AT + 1000));
          const target = targetTLS(obs);
          out.push(restartOrder(database, obs.petSets));
          for (const p of obs.petSets) out.push(petSetPatch(p, name, target));
          if (target) {
            const desired = desiredCertificates(database, target);
            for (const c of obs.certificates) {
              out.push(certificateReady(c), certificateState(c));
              const d = desired.find((x) => x.metadata?.name === c.metadata?.name);
              if (d) out.push(certificatePatch(c, d));
            }
          }
          out.push(newTLS(database.spec?.tls, r.spec?.tls, name));
          out.push(pausedConditions(database, pauseReason(req), 'm', iso(T0)), resumedConditions(database, pauseReason(req)));
        }
      }
    }
  }
  return out;
}

/** Every review of the worked requests against a view of the cluster. */
function reviews(w: { db: <T extends KubeObject>(o: T) => T; ops: <T extends KubeObject>(o: T) => T; issuer: <T extends KubeObject>(o: T) => T }): unknown[] {
  const out: unknown[] = [];
  for (const db of [tlsDb, plainDb]) {
    const view: ClusterView = {
      getSinglestore: (ns, n) => (ns === 'demo' && n === db.metadata?.name ? w.db(db) : undefined),
      listOpsRequests: () => history.map((h) => w.ops(h)),
      getIssuer: (ns, n) => (ns === 'demo' && n === 'sdb-issuer' ? w.issuer(issuer) : undefined),
      getClusterIssuer: () => undefined,
    };
    for (const r of worked) {
      const object = { ...r, spec: { ...r.spec, databaseRef: { name: nameOf(db) } } };
      out.push(decide({ object, oldObject: null, operation: 'CREATE', view }).result);
    }
  }
  out.push(requestStats(history.map((h) => w.ops(h)), [w.db(tlsDb), w.db(plainDb)], T0));
  return out;
}

const id = <T extends KubeObject>(o: T): T => o;
const lean =
  (kind: ResourceKey) =>
  <T extends KubeObject>(o: T): T =>
    projected(kind, o);

t.test('singlestores: what the rules, the planner and pause/resume read is kept', async (t) => {
  checkReads(t, 'singlestores', [tlsDb, plainDb], (wrap) => [plans({ db: wrap, ops: id, cert: id, ps: id, pod: id }), reviews({ db: wrap, ops: id, issuer: id })]);
});

t.test('singlestoreopsrequests: what the rules and the planner read is kept', async (t) => {
  checkReads(t, 'singlestoreopsrequests', history, (wrap) => [plans({ db: id, ops: wrap, cert: id, ps: id, pod: id }), reviews({ db: id, ops: wrap, issuer: id })]);
});

t.test('issuers: what issuer-exists and issuer-not-ready read is kept', async (t) => {
  const reads = checkReads(t, 'issuers', [issuer], (wrap) => reviews({ db: id, ops: id, issuer: wrap }));
  t.ok([...reads].some((p) => p.startsWith('.status.conditions')), 'the Ready condition is read');
});

t.test('certificates: what the planner and certificatePatch read is kept', async (t) => {
  checkReads(t, 'certificates', certs, (wrap) => plans({ db: id, ops: id, cert: wrap, ps: id, pod: id }));
});

t.test('petsets: what the planner and petSetPatch read is kept (the containers and volumes it writes back whole)', async (t) => {
  const reads = checkReads(t, 'petsets', [...petSets('sample-sdb'), ...petSets('plain-sdb')], (wrap) => plans({ db: id, ops: id, cert: id, ps: wrap, pod: id }));
  t.ok(reads.has('.spec.template.spec.containers[].*'), 'containers are read whole (deepEqual): the projection keeps them whole');
});

t.test('pods: what the restart steps read is kept', async (t) => {
  checkReads(t, 'pods', [...pods('sample-sdb'), ...pods('plain-sdb')], (wrap) => plans({ db: id, ops: id, cert: id, ps: id, pod: wrap }));
});

t.test('the answers are the same on projected objects', async (t) => {
  const whole = JSON.stringify([plans({ db: id, ops: id, cert: id, ps: id, pod: id }), reviews({ db: id, ops: id, issuer: id })]);
  const projectedAnswers = JSON.stringify([
    plans({ db: lean('singlestores'), ops: lean('singlestoreopsrequests'), cert: lean('certificates'), ps: lean('petsets'), pod: lean('pods') }),
    reviews({ db: lean('singlestores'), ops: lean('singlestoreopsrequests'), issuer: lean('issuers') }),
  ]);
  t.ok(whole.length > 10_000, 'many answers compared');
  const at = whole.split('').findIndex((ch, i) => projectedAnswers[i] !== ch);
  t.equal(at, projectedAnswers.length === whole.length ? -1 : Math.min(projectedAnswers.length, whole.length), `same answers (first difference at ${at}: ${whole.slice(Math.max(0, at - 80), at + 80)})`);
});

t.test('what is dropped: managedFields, last-applied, the pod spec, unread status', async (t) => {
  const pod = projected('pods', nth(pods('sample-sdb'), 0)) as Obj & Pod;
  if (!pod.metadata || !pod.status) throw new Error('the projected pod has no metadata or no status');
  t.notOk('managedFields' in pod.metadata, 'no managedFields');
  t.notOk('spec' in pod, 'no pod spec');
  t.strictSame(Object.keys(pod.status).sort(), ['conditions', 'phase']);
  const db = projected('singlestores', tlsDb);
  t.notOk(db.metadata?.annotations, 'the last-applied annotation was the only one: annotations dropped');
  const aggregator = db.spec?.topology?.aggregator;
  if (!aggregator) throw new Error('the projected database has no aggregator');
  t.notOk('podTemplate' in aggregator, 'KubeDB podTemplates dropped');
  const wirePs = nth(petSets('sample-sdb'), 0);
  const ps = projected('petsets', wirePs);
  const containers = wirePs.spec?.template?.spec?.containers;
  if (!ps.spec || !containers) throw new Error('the projected PetSet has no spec, or the wire one no containers');
  t.strictSame(ps.spec.template?.spec?.containers, containers, 'containers whole');
  t.notOk('volumeClaimTemplates' in ps.spec, 'volumeClaimTemplates dropped');
  const kept = (o: KubeObject, k: ResourceKey) => JSON.stringify(projected(k, o)).length / JSON.stringify(o).length;
  t.ok(kept(nth(pods('sample-sdb'), 0), 'pods') < 0.1, 'a pod keeps under 10 % of its wire bytes');
  const other = { metadata: { name: 'x', annotations: { a: 'b', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } };
  t.strictSame(projectValue(other, PROJECTIONS.pods), { metadata: { name: 'x', annotations: { a: 'b' } } }, 'other annotations stay');
});

t.test('projecting is in place and idempotent; KEEP_ALL keeps everything', async (t) => {
  const pod = structuredClone(nth(pods('sample-sdb'), 0));
  const status = pod.status;
  projectInPlace(pod, PROJECTIONS.pods);
  const once = JSON.stringify(pod);
  projectInPlace(pod, PROJECTIONS.pods);
  t.equal(JSON.stringify(pod), once, 'idempotent');
  t.not(pod.status, status, 'the kept field is a new, smaller object on the same top-level object');
  const whole = structuredClone(nth(pods('sample-sdb'), 1));
  const before = JSON.stringify(whole);
  projectInPlace(whole, KEEP_ALL.pods);
  t.equal(JSON.stringify(whole), before);
});
