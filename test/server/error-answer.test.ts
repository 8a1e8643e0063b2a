// Error mapping (src/server/error-answer.ts), table-driven: what each error reaching
// Fastify's error handler is answered with. Through the app the same answers are
// asserted by bad-input.test.ts.
import t from 'tap';
import { errorAnswer, httpError, type HttpError } from '../../src/server/error-answer.js';

const fastifyError = (code: string, statusCode: number, message = 'fastify says'): HttpError => Object.assign(new Error(message), { code, statusCode });
const admission: { contentType: string | undefined; bodyLimit: number; admission: boolean } = { contentType: 'text/plain', bodyLimit: 1024, admission: true };

t.test('each error gets its status and message', async (t) => {
  const cases: [string, HttpError, typeof admission, { code: number; message: string | RegExp; unexpected: boolean }][] = [
    ['body too large', fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), admission, { code: 413, message: 'request body is larger than the limit of 1024 bytes', unexpected: false }],
    ['wrong content type', fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), admission, { code: 415, message: /^unsupported content type "text\/plain": send application\/json$/, unexpected: false }],
    ['no content type', fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), { ...admission, contentType: undefined }, { code: 415, message: 'missing Content-Type: send application/json', unexpected: false }],
    ['empty JSON body', fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), admission, { code: 400, message: 'request body is empty', unexpected: false }],
    ['a client error keeps its status', httpError(400, 'request body is not valid JSON: x'), admission, { code: 400, message: 'request body is not valid JSON: x', unexpected: false }],
    ['a bug on an admission route', new Error('boom'), admission, { code: 400, message: 'request could not be processed', unexpected: true }],
    ['a bug elsewhere', new Error('boom'), { ...admission, admission: false }, { code: 500, message: 'internal error', unexpected: true }],
    ['a 5xx status is a bug too', httpError(503, 'down'), { ...admission, admission: false }, { code: 500, message: 'internal error', unexpected: true }],
  ];
  for (const [name, err, ctx, want] of cases) t.match(errorAnswer(err, ctx), want, name);
});

t.test('a client error message is bounded', async (t) => {
  const a = errorAnswer(httpError(400, 'x'.repeat(100_000)), admission);
  t.ok(a.message.length < 2000, `${a.message.length} characters`);
});
