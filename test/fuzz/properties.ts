// The fuzz properties, shared by the tap tests (a few thousand cases in `npm test`) and
// the long campaign (`npm run fuzz`). Every property sends what fast-check draws to
// the real app (buildApp) through inject() and checks the answer:
//   - the status is 200, 400, 413 or 415: never a 5xx, never a thrown error;
//   - a body the API server could have sent (an AdmissionReview that decodes) gets 200
//     with its uid and apiVersion echoed; anything else gets 400 with a message;
//   - no decision ends in an engine error (logged at error level, or status.code 500);
//   - /mutate's patch is an RFC 6902 patch that applies cleanly (strict applier in
//     ./json-patch.ts) to the object, touches only the defaulted fields, and the
//     patched object needs no further defaults.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { createMetrics } from '../../src/metrics.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { busyStateObjects, mutatedReview, objectMutatedReview, realReviews, stateObjects, structuredReview } from './arbitraries.js';
import { strictApply, type PatchOperation } from './json-patch.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export class PropertyFailure extends Error {
  override name = 'PropertyFailure';
}

function check(cond: boolean, what: string, detail?: unknown): void {
  if (!cond) throw new PropertyFailure(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail).slice(0, 600)}`}`);
}

/** An app whose error-level log lines are counted (an engine error is a bug). */
export interface FuzzApp {
  app: FastifyInstance;
  errorLines: string[];
}

export function fuzzApp(opts: { bodyLimit?: number; view?: 'none' | 'tls-off' | 'tls-on' | 'busy' } = {}): FuzzApp {
  const errorLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        const rec = JSON.parse(line) as { level?: number };
        if ((rec.level ?? 0) >= 50 && errorLines.length < 20) errorLines.push(line);
      }
      cb();
    },
  });
  const v = opts.view ?? 'tls-off';
  const view = v === 'none' ? undefined : v === 'busy' ? MemoryView.from(busyStateObjects()) : MemoryView.from(stateObjects(v === 'tls-on' ? 'state-tls.yaml' : 'state.yaml'));
  const app = buildApp({
    metrics: createMetrics(),
    logger: pino({ level: 'warn' }, sink),
    ...(view ? { view } : {}),
    ...(opts.bodyLimit !== undefined ? { bodyLimit: opts.bodyLimit } : {}),
  });
  return { app, errorLines };
}

/** What the API server always sends; the wire contract of SPEC 6 ("decodable review"). */
export function decodable(body: unknown): boolean {
  if (!isRec(body)) return false;
  if (body['kind'] !== 'AdmissionReview') return false;
  if (body['apiVersion'] !== 'admission.k8s.io/v1' && body['apiVersion'] !== 'admission.k8s.io/v1beta1') return false;
  const r = body['request'];
  if (!isRec(r)) return false;
  if (typeof r['uid'] !== 'string' || r['uid'] === '') return false;
  const k = r['kind'];
  if (!isRec(k)) return false;
  if (typeof k['kind'] !== 'string' || k['kind'] === '') return false;
  for (const f of ['group', 'version'] as const) if (k[f] !== undefined && k[f] !== null && typeof k[f] !== 'string') return false;
  if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(r['operation'] as string)) return false;
  for (const f of ['name', 'namespace', 'subResource'] as const) if (r[f] !== undefined && r[f] !== null && typeof r[f] !== 'string') return false;
  const u = r['userInfo'];
  if (u !== undefined && u !== null && !isRec(u)) return false;
  return true;
}

const DEFAULTED_PATH = /^\/spec\/(apply|timeout|tls\/issuerRef\/apiGroup|tls\/certificates\/(0|[1-9][0-9]*)\/issuerRef\/apiGroup)$/;

export interface Sent {
  url: '/validate' | '/mutate';
  payload: string;
  contentType?: string;
}

export interface Answer {
  status: number;
  json: Rec | undefined;
}

export async function send(f: FuzzApp, s: Sent): Promise<Answer> {
  const res = await f.app.inject({
    method: 'POST',
    url: s.url,
    headers: s.contentType === undefined ? { 'content-type': 'application/json' } : s.contentType === '' ? {} : { 'content-type': s.contentType },
    payload: s.payload,
  });
  let json: Rec | undefined;
  try {
    const parsed = JSON.parse(res.body) as unknown;
    json = isRec(parsed) ? parsed : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json };
}

/** The checks every answer to a JSON body under the size limit must pass. */
export async function checkAnswer(f: FuzzApp, url: '/validate' | '/mutate', body: unknown, payload = JSON.stringify(body)): Promise<void> {
  const before = f.errorLines.length;
  const a = await send(f, { url, payload });
  check([200, 400].includes(a.status), `${url}: status ${a.status} for a JSON body`, a.json);
  check(a.json !== undefined, `${url}: answer is not a JSON object`);
  const expectOk = decodable(body);
  if (!expectOk) {
    check(a.status === 400, `${url}: a body that is not a decodable AdmissionReview got ${a.status}`, a.json);
    check(typeof a.json?.['message'] === 'string' && a.json['message'].length > 0, `${url}: 400 without a message`, a.json);
    return;
  }
  check(a.status === 200, `${url}: a decodable AdmissionReview got ${a.status}`, a.json);
  const req = (body as Rec)['request'] as Rec;
  const resp = a.json?.['response'];
  check(a.json?.['kind'] === 'AdmissionReview' && a.json['apiVersion'] === (body as Rec)['apiVersion'], `${url}: envelope not echoed`, a.json);
  check(isRec(resp) && resp['uid'] === req['uid'], `${url}: uid not echoed`, { sent: req['uid'], got: isRec(resp) ? resp['uid'] : resp });
  const r = resp as Rec;
  check(typeof r['allowed'] === 'boolean', `${url}: allowed is not a boolean`, r);
  check(f.errorLines.length === before, `${url}: the decision logged an error`, f.errorLines.slice(before));
  const st = r['status'];
  check(!isRec(st) || st['code'] !== 500, `${url}: engine error answered (status.code 500)`, st);
  if (!r['allowed']) {
    check(url === '/validate', `${url}: the mutating webhook denied`, r);
    check(isRec(st) && st['code'] === 422 && typeof st['message'] === 'string' && st['message'] !== '', `${url}: a denial without status 422 and a message`, st);
  }
  if (url === '/mutate') await checkPatch(f, body as Rec, r);
}

async function checkPatch(f: FuzzApp, body: Rec, r: Rec): Promise<void> {
  if (r['patch'] === undefined) {
    check(r['patchType'] === undefined, '/mutate: patchType without a patch', r);
    return;
  }
  check(r['patchType'] === 'JSONPatch', '/mutate: patch without patchType JSONPatch', r);
  check(typeof r['patch'] === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(r['patch']), '/mutate: patch is not base64', r['patch']);
  const ops = JSON.parse(Buffer.from(r['patch'] as string, 'base64').toString('utf8')) as PatchOperation[];
  check(Array.isArray(ops) && ops.length > 0, '/mutate: patch is not a non-empty JSON array', ops);
  const req = body['request'] as Rec;
  for (const op of ops) check(op.op === 'add' || op.op === 'replace', '/mutate: patch op other than add/replace', op);
  for (const op of ops) check(DEFAULTED_PATH.test(op.path), '/mutate: patch touches a field that is not defaulted', op);
  let patched: unknown;
  try {
    patched = strictApply(req['object'], ops);
  } catch (err) {
    throw new PropertyFailure(`/mutate: patch does not apply cleanly: ${(err as Error).message}: ${JSON.stringify({ ops, object: req['object'] }).slice(0, 800)}`);
  }
  // The API server sends the patched object to the next webhook call (reinvocation):
  // it must need no more defaults.
  const again = await send(f, { url: '/mutate', payload: JSON.stringify({ ...body, request: { ...req, object: patched } }) });
  check(again.status === 200, '/mutate: the patched object was not accepted', again.json);
  const r2 = again.json?.['response'] as Rec | undefined;
  check(r2?.['patch'] === undefined, '/mutate: defaults are not idempotent (the patched object got another patch)', {
    first: ops,
    second: typeof r2?.['patch'] === 'string' ? (JSON.parse(Buffer.from(r2['patch'], 'base64').toString('utf8')) as unknown) : r2,
  });
}

const URL = fc.constantFrom<'/validate' | '/mutate'>('/validate', '/mutate');

export interface NamedProperty {
  name: string;
  /** Cases in `npm test`. */
  runs: number;
  property: fc.IAsyncPropertyWithHooks<unknown[]> | fc.IAsyncProperty<unknown[]>;
}

/** Every property over the given apps (main: 3 MiB limit; small: 4 KiB limit). */
export function admissionProperties(apps: { tlsOff: FuzzApp; tlsOn: FuzzApp; busy: FuzzApp; noView: FuzzApp; small: FuzzApp }): NamedProperty[] {
  const reviews = realReviews();
  const pick = fc.constantFrom(apps.tlsOff, apps.tlsOn, apps.busy, apps.noView);
  const p = <T extends unknown[]>(name: string, runs: number, arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, fn: (...args: T) => Promise<void>): NamedProperty => ({
    name,
    runs,
    property: fc.asyncProperty(...(arbs as unknown as [fc.Arbitrary<unknown>]), fn as unknown as (...a: unknown[]) => Promise<void>),
  });
  return [
    p('random JSON value', 400, [URL, fc.jsonValue({ maxDepth: 4 })], async (url, v) => checkAnswer(apps.tlsOff, url, v)),
    p('random JSON object shaped like an AdmissionReview', 400, [
      URL,
      fc.record({ apiVersion: fc.oneof(fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'), fc.jsonValue({ maxDepth: 1 })), kind: fc.oneof(fc.constant('AdmissionReview'), fc.jsonValue({ maxDepth: 1 })), request: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }),
    ], async (url, v) => checkAnswer(apps.tlsOff, url, v)),
    p('real review with random mutations anywhere', 800, [URL, pick, mutatedReview(reviews)], async (url, app, v) => checkAnswer(app, url, v)),
    p('real review with random mutations in the object', 800, [URL, pick, objectMutatedReview(reviews)], async (url, app, v) => checkAnswer(app, url, v)),
    p('structured SinglestoreOpsRequest with edge values', 800, [URL, pick, structuredReview], async (url, app, v) => checkAnswer(app, url, v)),
    p('bytes that are not JSON get 400', 150, [URL, fc.string({ minLength: 1, maxLength: 200 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } })], async (url, s) => {
      const a = await send(apps.tlsOff, { url, payload: s });
      check(a.status === 400 && typeof a.json?.['message'] === 'string', `${url}: non-JSON body got ${a.status}`, { s, a });
    }),
    p('oversized bodies get 413', 60, [URL, fc.integer({ min: 4097, max: 40_000 }), fc.boolean()], async (url, size, valid) => {
      const filler = 'x'.repeat(size);
      const payload = valid ? JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', pad: filler } }) : filler;
      const a = await send(apps.small, { url, payload });
      check(a.status === 413 && typeof a.json?.['message'] === 'string', `${url}: a ${payload.length}-byte body over a 4096-byte limit got ${a.status}`, a.json);
    }),
    p('other content types get 415', 100, [URL, fc.constantFrom('text/plain', 'application/yaml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'text/json', 'application/xml'), fc.jsonValue({ maxDepth: 2 })], async (url, ct, v) => {
      const a = await send(apps.tlsOff, { url, payload: JSON.stringify(v), contentType: ct });
      check(a.status === 415 && typeof a.json?.['message'] === 'string', `${url}: content type ${ct} got ${a.status}`, a.json);
    }),
  ];
}
