// Shared helpers of the server tests: fixtures, an app with a captured log, inject shortcuts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ObjectMeta, SinglestoreOpsRequestSpec } from '../../src/api/types.js';
import type { AdmissionReview, GroupVersionKind } from '../../src/admission/review.js';
import { buildApp, type AppDeps } from '../../src/server/app.js';
import { createMetrics } from '../../src/metrics.js';
import { MemoryView } from '../../src/core/memory-view.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, '..', 'fixtures');
export const ADMISSION_DIR = join(FIXTURES, 'admission');
export const WORKED_DIR = join(FIXTURES, 'worked');

export function loadYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined);
}

export function admissionFixture(name: string): string {
  return readFileSync(join(ADMISSION_DIR, name), 'utf8');
}

/** An admission fixture as sent, typed for the edits a test makes before sending it again. */
export interface SentReview {
  request: { uid: string; kind: GroupVersionKind; object: { metadata: ObjectMeta; spec: SinglestoreOpsRequestSpec } };
}

export function sentReview(name: string): SentReview {
  return JSON.parse(admissionFixture(name)) as SentReview;
}

export function stateView(file: 'state.yaml' | 'state-tls.yaml'): MemoryView {
  return MemoryView.from(loadYaml(join(WORKED_DIR, file)));
}

export type LogLine = Record<string, unknown>;

export interface TestApp {
  app: FastifyInstance;
  logs: LogLine[];
  deps: AppDeps;
}

/**
 * buildApp with a fresh Metrics and a pino logger whose JSON lines land in `logs`. The
 * default (immediate) scheduler records each decision before inject() resolves.
 */
export function makeApp(over: Partial<AppDeps> = {}): TestApp {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      cb();
    },
  });
  const deps: AppDeps = { metrics: createMetrics(), logger: pino({ level: 'info' }, sink), ...over };
  return { app: buildApp(deps), logs, deps };
}

/** One turn of the event loop: what batchedScheduler takes to decide and to record (src/server/scheduler.ts). */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function post(app: FastifyInstance, url: string, payload: string | object, contentType = 'application/json') {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return {
    status: res.statusCode,
    body: res.body,
    json: () => JSON.parse(res.body) as unknown,
    /** The body read as the AdmissionReview answer of /validate and /mutate (src/admission/review.ts). */
    review: () => JSON.parse(res.body) as AdmissionReview,
  };
}

/** The JSON Patch of an answer, decoded (the base64 of a JSON array). */
export function decodePatch(patch: string | undefined): unknown[] {
  if (patch === undefined) throw new Error('the answer has no patch');
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown[];
}

/** Wrap an object in a v1 AdmissionReview as the API server would. */
export function wrap(object: KubeObject, opts: { uid?: string; operation?: string; oldObject?: unknown; apiVersion?: string } = {}) {
  const GVK = { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' };
  const GVR = { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' };
  return {
    apiVersion: opts.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? 'a1b2c3d4-0000-4000-8000-00000000beef',
      kind: GVK,
      resource: GVR,
      requestKind: GVK,
      requestResource: GVR,
      name: object.metadata?.name,
      namespace: object.metadata?.namespace,
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object,
      oldObject: opts.oldObject ?? null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}
