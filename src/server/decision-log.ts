// The recorder of the admission routes: what happens after an answer — the decision's
// metrics and its one log line (docs/serving.md, Logs). When it runs is the scheduler's
// business (src/server/scheduler.ts).
import type { FastifyBaseLogger } from 'fastify';
import { boundText, boundValue, LOG_FIELD_MAX, MESSAGE_MAX } from '../core/field/quote.js';
import type { AdmissionRequest } from '../admission/review.js';
import type { Metrics } from '../metrics.js';
import type { DecisionRecord, DecisionRecorder } from './admission-route.js';
import { levelEnabled } from './lazy-logger.js';
import { LOG_LINE_LIMIT } from './log-destination.js';

/** A stack trace in a log line (its first line is the error's message). */
export const LOG_STACK_MAX = 2048;
/**
 * Longest log line the app writes, in characters of its JSON, whatever the request
 * (test/server/bounded-output.test.ts): every request-controlled field is cut, so a
 * line stays under this by construction (the fields' bounds, doubled for JSON escapes,
 * add up to about 10,000) — the same limit the stdout destination enforces on every line.
 */
export const LOG_LINE_MAX = LOG_LINE_LIMIT;

/**
 * Counts the decision and writes its line through `log` (the app logger, no per-request
 * child): reqId first, as a child's binding would put it. Every field the request
 * controls is bounded (docs/security.md): the line is never longer than LOG_LINE_MAX,
 * whatever was sent.
 */
export function decisionRecorder(log: FastifyBaseLogger, metrics: Metrics): DecisionRecorder {
  return ({ webhook, reqId, request: req, outcome, seconds }: DecisionRecord) => {
    metrics.recordReview(webhook, outcome.verdict, outcome.rules, seconds);
    const failed = outcome.error !== undefined;
    if (!levelEnabled(log, failed ? 'error' : 'info')) return;
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
  };
}

/** The object's name as the line shows it: metadata.name, the request's name, or `generateName*`. */
function objectNameForLog(req: AdmissionRequest): string {
  const o = (req.object ?? req.oldObject) as { metadata?: { name?: unknown; generateName?: unknown } } | null | undefined;
  const m = o && typeof o === 'object' ? o.metadata : undefined;
  if (m && typeof m.name === 'string' && m.name) return m.name;
  if (req.name) return req.name;
  if (m && typeof m.generateName === 'string' && m.generateName) return `${m.generateName}*`;
  return '';
}
