// The HTTP(S) application, built WITHOUT listening: main listens, tests use inject()
// (fastify's Testing guide). Routes: POST /validate, POST /mutate (admission-route.ts),
// GET /healthz, GET /readyz, GET /metrics; errors are mapped by error-answer.ts.
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino } from 'pino';
import type { ReadinessReport } from '../api/health.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../core/engine.js';
import { boundText, LOG_FIELD_MAX, MESSAGE_MAX } from '../core/field/quote.js';
import type { Policy } from '../core/policy.js';
import type { ClusterView } from '../core/view.js';
import type { Metrics, Webhook } from '../metrics.js';
import { admissionRoute, type DecisionRecorder, type Scheduler } from './admission-route.js';
import { decisionRecorder, LOG_STACK_MAX } from './decision-log.js';
import { mutateRequest, validateRequest, type AdmissionEngine, type DecisionContext } from './decisions.js';
import { defaultEngine } from './engine.js';
import { errorAnswer, httpError } from './error-answer.js';
import { lazyChildLoggerFactory, levelEnabled } from './lazy-logger.js';
import { ADMISSION_REVIEW_RESPONSE_SCHEMA } from './response-schema.js';
import { immediateScheduler } from './scheduler.js';

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
  /** When decisions and their recordings run. Default immediateScheduler (tests); main passes batchedScheduler() (src/server/scheduler.ts). */
  scheduler?: Scheduler;
  /** What happens after an answer. Default: its metrics and its log line (src/server/decision-log.ts). */
  recorder?: DecisionRecorder;
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
    void reply.code(404).send({ message: boundText(`no route for ${request.method} ${request.url.split('?')[0] ?? ''}`, MESSAGE_MAX) });
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const hook = webhookOf(request.url);
    const answer = errorAnswer(err, { contentType: request.headers['content-type'], bodyLimit, admission: hook !== undefined });
    if (answer.unexpected) {
      request.log.error({ err: boundText(err.message, MESSAGE_MAX), stack: boundText(err.stack ?? '', LOG_STACK_MAX), url: boundText(request.url, LOG_FIELD_MAX) }, 'unexpected error');
    }
    if (hook) metrics.badRequests.inc({ webhook: hook, code: String(answer.code) });
    void reply.code(answer.code).send({ message: answer.message });
  });

  // When decisions and recordings run is the scheduler's (src/server/scheduler.ts): at
  // once by default (tests), batched per event-loop turn in production (main). /metrics
  // and close drain what is still queued, so a scrape never misses a decision that was
  // already answered.
  const scheduler = deps.scheduler ?? immediateScheduler;
  const route = { ctx, metrics, scheduler, recorder: deps.recorder ?? decisionRecorder(app.log, metrics) };
  app.addHook('onClose', (_instance, done) => {
    scheduler.drain();
    done();
  });

  // The answer (HTTP 200) is serialised by a compiled serializer for the AdmissionReview
  // envelope; request bodies are never validated or coerced by a schema.
  const admissionSchema = { response: { 200: ADMISSION_REVIEW_RESPONSE_SCHEMA } };
  app.post('/validate', { schema: admissionSchema }, admissionRoute('validate', validateRequest, route));
  app.post('/mutate', { schema: admissionSchema }, admissionRoute('mutate', mutateRequest, route));

  app.get('/healthz', async (_request, reply) => reply.code(200).send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const r = readiness();
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', ...r });
  });

  app.get('/metrics', async (_request, reply) => {
    scheduler.drain();
    const text = await metrics.registry.metrics();
    return reply.code(200).type(metrics.registry.contentType).send(text);
  });

  return app;
}
