// Error mapping: which status and message an error reaching Fastify's error handler is
// answered with. Pure; the app's handler logs, counts and sends what this returns.
import { boundText, MESSAGE_MAX, quote } from '../core/field/quote.js';

/** An error carrying the HTTP status it is to be answered with. */
export interface HttpError extends Error {
  statusCode?: number;
  code?: string;
}

export function httpError(statusCode: number, message: string): HttpError {
  const e: HttpError = new Error(message);
  e.statusCode = statusCode;
  return e;
}

export interface ErrorAnswer {
  code: number;
  message: string;
  /** Not a client error: a bug, to be logged with its stack. */
  unexpected: boolean;
}

/**
 * Client errors keep their 4xx status; Fastify's body errors get their own status and a
 * message that says what to send (413 too large, 415 not JSON, 400 empty); anything else
 * is a bug (the admission routes catch everything themselves, so in practice only a
 * plain GET route gets here): 400 "request could not be processed" on an admission
 * route, 500 "internal error" elsewhere.
 */
export function errorAnswer(err: HttpError, ctx: { contentType: string | undefined; bodyLimit: number; admission: boolean }): ErrorAnswer {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { code: 413, message: `request body is larger than the limit of ${ctx.bodyLimit} bytes`, unexpected: false };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const ct = ctx.contentType;
    return { code: 415, message: ct ? `unsupported content type ${quote(ct)}: send application/json` : 'missing Content-Type: send application/json', unexpected: false };
  }
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { code: 400, message: 'request body is empty', unexpected: false };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return { code: err.statusCode, message: boundText(err.message, MESSAGE_MAX), unexpected: false };
  return ctx.admission
    ? { code: 400, message: 'request could not be processed', unexpected: true }
    : { code: 500, message: 'internal error', unexpected: true };
}
