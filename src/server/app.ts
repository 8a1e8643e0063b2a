// The HTTP(S) application, built WITHOUT listening: main listens, tests use inject()
// (fastify's Testing guide). Routes: POST /validate, POST /mutate, GET /healthz,
// GET /readyz, GET /metrics.
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { performance } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../core/engine.js';
import { boundText, boundValue, LOG_FIELD_MAX, MESSAGE_MAX, quote } from '../core/field/quote.js';
import type { Policy } from '../core/policy.js';
import type { ClusterView } from '../core/view.js';
import { decodeAdmissionReview, encodeAdmissionReview, type AdmissionRequest } from '../admission/review.js';
import type { Metrics, Webhook } from '../metrics.js';
import { mutateRequest, validateRequest, type AdmissionEngine, type DecisionContext, type Outcome } from './decisions.js';
import { defaultEngine } from './engine.js';
import { lazyChildLoggerFactory, levelEnabled } from './lazy-logger.js';
import { LOG_LINE_LIMIT } from './log-destination.js';
import { ADMISSION_REVIEW_RESPONSE_SCHEMA } from './response-schema.js';

/** A stack trace in a log line (its first line is the error's message). */
export const LOG_STACK_MAX = 2048;
/**
 * Longest log line the app writes, in characters of its JSON, whatever the request
 * (test/server/bounded-output.test.ts): every request-controlled field is cut, so a
 * line stays under this by construction (the fields' bounds, doubled for JSON escapes,
 * add up to about 10,000) — the same limit the stdout destination enforces on every line.
 */
export const LOG_LINE_MAX = LOG_LINE_LIMIT;

/** 3 MiB: the API server's own limit on a request body. */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

/** Socket-level limits, in milliseconds (see docs/serving.md). */
export interface ServerTimeouts {
  /** Time allowed to receive a request's headers (slow-loris cut-off). */
  headersTimeout: number;
  /** Time allowed to receive a whole request (the API server waits at most 30 s). */
  requestTimeout: number;
  /** Idle time kept on a keep-alive connection between requests. Longer than Go's 90 s idle timeout so the API server closes first. */
  keepAliveTimeout: number;
  /** Inactivity on a socket at any time; must exceed keepAliveTimeout. */
  connectionTimeout: number;
}

/**
 * How often Node checks open connections against headersTimeout and requestTimeout.
 * Node's default is 30 s, which would let a slow-loris client hold a connection for up
 * to headersTimeout + 30 s; checked every second, the cut-off lands within 1 s of the
 * limit (test/fault/slow-clients.test.ts).
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 95_000,
  connectionTimeout: 120_000,
};

/** One informer cache as /readyz reports it. */
import type { ReadinessReport } from '../api/health.js';
export type { CacheReadiness, ReadinessReport } from '../api/health.js';

export interface AppDeps {
  metrics: Metrics;
  /** A pino logger; decisions are logged at info. Default: silent. */
  logger?: FastifyBaseLogger;
  /** Default: the real engine (src/core/engine.ts decide). */
  engine?: AdmissionEngine;
  engineOptions?: EngineOptions;
  /** Absent: cluster rules are not evaluated. */
  view?: ClusterView;
  policy?: Policy;
  /** What /readyz answers. Default: ready, cluster rules evaluated iff a view is given. */
  readiness?: () => ReadinessReport;
  /** Largest accepted request body in bytes. Default DEFAULT_BODY_LIMIT. */
  bodyLimit?: number;
  /** When given the app serves HTTPS with these options (main); tests leave it out. */
  https?: HttpsServerOptions;
  timeouts?: Partial<ServerTimeouts>;
}

interface HttpError extends Error {
  statusCode?: number;
  code?: string;
}

function httpError(statusCode: number, message: string): HttpError {
  const e: HttpError = new Error(message);
  e.statusCode = statusCode;
  return e;
}

/**
 * Fastify's own request/response lines go to debug; decisions are logged by the routes.
 * Nothing is built for these lines unless debug is enabled.
 */
class QuietLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (!levelEnabled(request.log, 'debug')) return;
    request.log.debug({ method: boundText(request.method, LOG_FIELD_MAX), url: boundText(request.url, LOG_FIELD_MAX) }, 'incoming request');
  }
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!levelEnabled(request.log, 'debug')) return;
    request.log.debug({ statusCode: reply.statusCode, responseTime: reply.elapsedTime, ...(error ? { err: boundText(error.message, MESSAGE_MAX) } : {}) }, 'request completed');
  }
}

const WEBHOOK_BY_PATH: Record<string, Webhook> = { '/validate': 'validate', '/mutate': 'mutate' };

function webhookOf(url: string): Webhook | undefined {
  const path = url.split('?')[0] ?? url;
  return WEBHOOK_BY_PATH[path];
}

export function defaultReadiness(view: ClusterView | undefined): () => ReadinessReport {
  return () =>
    view
      ? { ready: true, clusterRules: 'evaluated', message: 'ready' }
      : { ready: true, clusterRules: 'not-evaluated', message: 'ready; no kubeconfig: cluster rules are not evaluated' };
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const logger = deps.logger ?? pino({ level: 'silent' });
  const metrics = deps.metrics;
  const readiness = deps.readiness ?? defaultReadiness(deps.view);
  const ctx: DecisionContext = {
    engine: deps.engine ?? defaultEngine,
    engineOptions: deps.engineOptions ?? DEFAULT_ENGINE_OPTIONS,
    ...(deps.view ? { view: deps.view } : {}),
    ...(deps.policy ? { policy: deps.policy } : {}),
  };

  const app = Fastify({
    ...(deps.https ? { https: { connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS, ...deps.https } } : {}),
    loggerInstance: logger,
    // Per-request child loggers are made only when a line is written through them: the
    // decision line goes through the app logger with the reqId as a field.
    childLoggerFactory: lazyChildLoggerFactory,
    logController: new QuietLogController(),
    bodyLimit,
    connectionTimeout: timeouts.connectionTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    requestTimeout: timeouts.requestTimeout,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  app.server.headersTimeout = timeouts.headersTimeout;

  // Bodies: application/json only (415 for anything else), parsed by hand so the
  // embedded object is never coerced or defaulted by a schema. The size limit is
  // checked on the raw body (413) before parsing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(httpError(400, `request body is not valid JSON: ${boundText(err instanceof Error ? err.message : String(err), MESSAGE_MAX)}`), undefined);
    }
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ message: boundText(`no route for ${request.method} ${request.url.split('?')[0]}`, MESSAGE_MAX) });
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const hook = webhookOf(request.url);
    let code = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 0;
    let message = boundText(err.message, MESSAGE_MAX);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      code = 413;
      message = `request body is larger than the limit of ${bodyLimit} bytes`;
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      code = 415;
      const ct = request.headers['content-type'];
      message = ct ? `unsupported content type ${quote(ct)}: send application/json` : 'missing Content-Type: send application/json';
    } else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      code = 400;
      message = 'request body is empty';
    }
    if (code === 0) {
      // Not a client error: a bug. The admission routes catch everything themselves,
      // so this is reached only from the plain GET routes.
      request.log.error({ err: message, stack: boundText(err.stack ?? '', LOG_STACK_MAX), url: boundText(request.url, LOG_FIELD_MAX) }, 'unexpected error');
      if (hook) {
        code = 400;
        message = 'request could not be processed';
      } else {
        code = 500;
        message = 'internal error';
      }
    }
    if (hook) metrics.badRequests.inc({ webhook: hook, code: String(code) });
    void reply.code(code).send({ message });
  });

  // A decision's bookkeeping — its metrics and its log line — runs after the answer is
  // on its way (AfterAnswer): the same work, but the API server is not kept waiting for
  // it, and under load the answers leave sooner (BENCHMARKS.md).
  const recordDecision: DecisionRecorder = (webhook, reqId, req, outcome, seconds) => {
    metrics.recordReview(webhook, outcome.verdict, outcome.rules, seconds);
    // One line per decision, written through the app logger (no per-request child):
    // reqId first, as a child's binding would put it (docs/serving.md, Logs). Every
    // field the request controls is bounded (docs/security.md): the line is never
    // longer than LOG_LINE_MAX, whatever was sent.
    const log = app.log;
    const failed = outcome.error !== undefined;
    if (levelEnabled(log, failed ? 'error' : 'info')) {
      const fields: Record<string, unknown> = {
        reqId,
        uid: boundText(req.uid, LOG_FIELD_MAX),
        user: boundValue(req.userInfo?.username ?? ''),
        namespace: boundText(req.namespace ?? '', LOG_FIELD_MAX),
        name: boundText(objectNameForLog(req), LOG_FIELD_MAX),
        kind: boundText(req.kind.kind, LOG_FIELD_MAX),
        operation: req.operation,
        webhook,
        verdict: outcome.verdict === 'error' ? (outcome.response.allowed ? 'allowed' : 'denied') : outcome.verdict,
        rules: webhook === 'mutate' ? outcome.rules.default : outcome.rules.warn.length ? [...outcome.rules.deny, ...outcome.rules.warn] : outcome.rules.deny,
        warnings: outcome.warnings,
        durationMs: Math.round(seconds * 1e6) / 1e3,
      };
      if (req.dryRun) fields['dryRun'] = true;
      if (outcome.skipped) fields['skipped'] = boundText(outcome.skipped, LOG_FIELD_MAX);
      if (outcome.notEvaluated.length) fields['notEvaluated'] = outcome.notEvaluated.length;
      if (failed) {
        const e = outcome.error;
        fields['error'] = boundText(e instanceof Error ? e.message : String(e), MESSAGE_MAX);
        fields['stack'] = e instanceof Error ? boundText(e.stack ?? '', LOG_STACK_MAX) : undefined;
        log.error(fields, 'admission decision failed: engine error');
      } else {
        log.info(fields, 'admission decision');
      }
    }
  };
  const afterAnswer = new AfterAnswer(recordDecision);
  const decisions = new DecisionBatch();
  // /metrics and close drain what is still queued, so a scrape never misses a decision
  // that was already answered.
  app.addHook('onClose', (_instance, done) => {
    afterAnswer.drain();
    done();
  });

  const admissionRoute = (webhook: Webhook, decideFn: (req: AdmissionRequest, c: DecisionContext) => Outcome) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const start = performance.now();
      if (request.body === undefined) {
        metrics.badRequests.inc({ webhook, code: '400' });
        return reply.code(400).send({ message: 'request body is empty: send an AdmissionReview as application/json' });
      }
      const decoded = decodeAdmissionReview(request.body);
      if (!decoded.ok) {
        metrics.badRequests.inc({ webhook, code: '400' });
        request.log.info({ webhook, status: 400, reason: boundText(decoded.message, MESSAGE_MAX) }, 'admission request rejected');
        return reply.code(400).send({ message: decoded.message });
      }
      const { apiVersion, request: req } = decoded.review;
      let outcome: Outcome;
      try {
        outcome = await decisions.run(() => decideFn(req, ctx));
      } catch (err) {
        // decisions.ts already catches engine errors; this is the last net.
        outcome = {
          response: { uid: req.uid, allowed: false, status: { status: 'Failure', code: 500, reason: 'InternalError', message: 'sdb-tls-guard: internal error' } },
          verdict: 'error',
          rules: { deny: [], warn: [], default: [] },
          warnings: 0,
          notEvaluated: [],
          error: err,
        };
      }
      const seconds = (performance.now() - start) / 1000;
      afterAnswer.add(webhook, request.id, req, outcome, seconds);
      return writeAnswer(reply, encodeAdmissionReview(apiVersion, outcome.response));
    };

  // The answer (HTTP 200) is serialised by a compiled serializer for the AdmissionReview
  // envelope; request bodies are never validated or coerced by a schema.
  const admissionSchema = { response: { 200: ADMISSION_REVIEW_RESPONSE_SCHEMA } };
  app.post('/validate', { schema: admissionSchema }, admissionRoute('validate', validateRequest));
  app.post('/mutate', { schema: admissionSchema }, admissionRoute('mutate', mutateRequest));

  app.get('/healthz', async (_request, reply) => reply.code(200).send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const r = readiness();
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', ...r });
  });

  app.get('/metrics', async (_request, reply) => {
    afterAnswer.drain();
    const text = await metrics.registry.metrics();
    return reply.code(200).type(metrics.registry.contentType).send(text);
  });

  return app;
}

/** Headers of an admission answer: what reply.send wrote for it (Node adds Date, Connection, Keep-Alive). */
export const ANSWER_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Writes an admission answer (HTTP 200) on the raw response, past Fastify's send
 * pipeline (onSend hooks, header merging, content-type and content-length handling):
 * the body is still made by the route's compiled serializer (reply.serialize), and the
 * response listeners (the debug 'request completed' line, onResponse) still run.
 *
 * Why (issue 17, BENCHMARKS.md "Webhook cost through a real API server"): the API server
 * calls each webhook once per create, milliseconds apart, on a machine its own work keeps
 * busy, so every call runs cold. Traced in the webhook under bench:e2e, reply.send took
 * 0.22-0.45 ms at the median from the decision to the bytes leaving (the allow-all Node
 * server's res.end: 0.16-0.18 ms); written here, 0.16-0.19 ms. What it buys, in the API
 * server's own mean per call against the allow-all webhooks: /mutate 1.59x -> 0.98-1.33x,
 * /validate 1.78x -> 1.11-1.46x over three runs on a shared machine (about 0.25 ms per
 * call); the ≤ 1.15x target of issue 17 is met in one of them.
 * TLS and HTTP were the same on the wire for both (TLS 1.3, HTTP/1.1 over one kept-alive
 * connection, one record per answer), so no TLS or socket setting was changed.
 */
export function writeAnswer(reply: FastifyReply, review: unknown): FastifyReply {
  const body = reply.code(200).serialize(review) as string;
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': ANSWER_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
  reply.raw.end(body);
  return reply;
}

/**
 * The decisions of one turn of the event loop, made together. A review waits (one
 * setImmediate: microseconds when idle) until the turn's requests have been read, then
 * all of them are decided in one loop and their answers written back to back.
 *
 * Why: between two requests handled one by one, the TLS and socket work of each leaves
 * the engine's code and data cold, and the engine ran 3-4x slower than in a loop; and
 * every answer written alone had to wake the waiting client. Decided together, the
 * engine runs warm and the answers leave in one burst: under saturation /validate and
 * /mutate reach the bare Fastify route's throughput (BENCHMARKS.md). Each decision is
 * still its own: its own result, its own exception (rejected to its own request).
 * A batch that has run for `maxBatchMs` (one slow review) stops there: the answers
 * decided so far go out, and the rest is decided in the next turn.
 */
export class DecisionBatch {
  private queue: { decide: () => Outcome; resolve: (o: Outcome) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly maxBatchMs = 2,
    private readonly now: () => number = () => performance.now(),
  ) {}

  run(decide: () => Outcome): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ decide, resolve, reject }) === 1) setImmediate(() => this.drain());
    });
  }

  private drain(): void {
    const q = this.queue;
    this.queue = [];
    const started = this.now();
    for (let i = 0; i < q.length; i++) {
      if (i > 0 && this.now() - started >= this.maxBatchMs) {
        // Nothing can arrive during this synchronous loop: the leftover is the new queue.
        this.queue = q.slice(i);
        setImmediate(() => this.drain());
        return;
      }
      const item = q[i]!;
      try {
        item.resolve(item.decide());
      } catch (err) {
        item.reject(err);
      }
    }
  }
}

type DecisionRecorder = (webhook: Webhook, reqId: string, req: AdmissionRequest, outcome: Outcome, seconds: number) => void;

/**
 * Decisions answered but not yet recorded. One setImmediate per turn of the event loop
 * records all of them, after the turn's answers have been written (Node writes an HTTP
 * answer on the next tick; setImmediate runs after the turn's I/O callbacks). Order is
 * kept. A recorder that throws (a broken log stream) never takes the process down.
 */
export class AfterAnswer {
  private queue: Parameters<DecisionRecorder>[] = [];

  constructor(private readonly record: DecisionRecorder) {}

  add(...args: Parameters<DecisionRecorder>): void {
    if (this.queue.push(args) === 1) setImmediate(() => this.drain());
  }

  /** Record everything queued now (also what setImmediate calls). */
  drain(): void {
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    for (const args of q) {
      try {
        this.record(...args);
      } catch {
        // metrics and logging must not fail an admission answer already sent
      }
    }
  }
}

function objectNameForLog(req: AdmissionRequest): string {
  const o = (req.object ?? req.oldObject) as { metadata?: { name?: unknown; generateName?: unknown } } | null | undefined;
  const m = o && typeof o === 'object' ? o.metadata : undefined;
  if (m && typeof m.name === 'string' && m.name) return m.name;
  if (req.name) return req.name;
  if (m && typeof m.generateName === 'string' && m.generateName) return `${m.generateName}*`;
  return '';
}
