// The handler of POST /validate and POST /mutate, and the raw write of its answer. What
// it needs is declared here: a Scheduler (when decisions and recordings run:
// src/server/scheduler.ts) and a DecisionRecorder (what happens after an answer:
// src/server/decision-log.ts).
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { boundText, MESSAGE_MAX } from '../core/field/quote.js';
import { decodeAdmissionReview, encodeAdmissionReview, type AdmissionRequest } from '../admission/review.js';
import type { Metrics, Webhook } from '../metrics.js';
import type { DecisionContext, Outcome } from './decisions.js';

/** One answered decision, as the recorder gets it. */
export interface DecisionRecord {
  webhook: Webhook;
  reqId: string;
  request: AdmissionRequest;
  outcome: Outcome;
  /** Decode to decision, in seconds. */
  seconds: number;
}

/** What happens after an answer: metrics and the decision's log line. */
export type DecisionRecorder = (record: DecisionRecord) => void;

/** When the route's work runs. */
export interface Scheduler {
  /** Runs one decision; its exception is the caller's (rejected or thrown). */
  decide(decide: () => Outcome): Outcome | Promise<Outcome>;
  /** Runs a recording of an answer already written; an exception in it is swallowed. */
  afterAnswer(record: () => void): void;
  /** Runs every recording still queued (before a scrape and at close). */
  drain(): void;
}

export interface AdmissionRouteDeps {
  ctx: DecisionContext;
  metrics: Metrics;
  scheduler: Scheduler;
  recorder: DecisionRecorder;
}

/** The outcome of a decision that threw past decisions.ts (the last net). */
function internalError(req: AdmissionRequest, err: unknown): Outcome {
  return {
    response: { uid: req.uid, allowed: false, status: { status: 'Failure', code: 500, reason: 'InternalError', message: 'sdb-tls-guard: internal error' } },
    verdict: 'error',
    rules: { deny: [], warn: [], default: [] },
    warnings: 0,
    notEvaluated: [],
    error: err,
  };
}

export function admissionRoute(webhook: Webhook, decideFn: (req: AdmissionRequest, c: DecisionContext) => Outcome, deps: AdmissionRouteDeps) {
  const { ctx, metrics, scheduler, recorder } = deps;
  return async (request: FastifyRequest, reply: FastifyReply) => {
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
      outcome = await scheduler.decide(() => decideFn(req, ctx));
    } catch (err) {
      outcome = internalError(req, err);
    }
    const seconds = (performance.now() - start) / 1000;
    writeAnswer(reply, encodeAdmissionReview(apiVersion, outcome.response));
    const record: DecisionRecord = { webhook, reqId: request.id, request: req, outcome, seconds };
    scheduler.afterAnswer(() => recorder(record));
    return reply;
  };
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
