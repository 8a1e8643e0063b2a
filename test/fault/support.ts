// Shared pieces of the fault tests: an HTTPS app on 127.0.0.1 and raw TLS clients.
import { once } from 'node:events';
import tls from 'node:tls';
import { request as httpsRequest, Agent } from 'node:https';
import { buildApp, type AppDeps } from '../../src/server/app.js';
import { createMetrics } from '../../src/metrics.js';
import { generateSelfSigned } from '../../src/server/selfsigned.js';
import { httpsServerOptions } from '../../src/server/tls.js';

export interface HttpsApp {
  port: number;
  ca: string;
  close(): Promise<void>;
}

export async function startHttpsApp(over: Partial<AppDeps> = {}): Promise<HttpsApp> {
  const material = await generateSelfSigned({ namespace: 'fault' });
  const app = buildApp({ metrics: createMetrics(), https: httpsServerOptions({ cert: material.cert, key: material.key }, { minVersion: '1.2' }), ...over });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return { port, ca: material.caCert, close: () => app.close() };
}

/** A raw TLS connection; collects what the server sends and when it closes. */
export interface RawClient {
  socket: tls.TLSSocket;
  received(): string;
  closed: Promise<number>;
}

export async function rawClient(port: number, ca: string | string[]): Promise<RawClient> {
  const openedAt = Date.now();
  const socket = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' });
  let data = '';
  socket.on('data', (d: Buffer) => {
    data += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - openedAt)));
  await once(socket, 'secureConnect');
  return { socket, received: () => data, closed };
}

/** Write `chunks` one by one every `everyMs` until the socket closes or they run out. */
export function trickle(c: RawClient, chunks: Iterable<string>, everyMs: number): void {
  const it = chunks[Symbol.iterator]();
  const tick = (): void => {
    if (c.socket.destroyed || !c.socket.writable) return;
    const n = it.next();
    if (n.done) return;
    c.socket.write(n.value);
    setTimeout(tick, everyMs).unref();
  };
  tick();
}

export function* forever(make: (i: number) => string): Generator<string> {
  for (let i = 0; ; i++) yield make(i);
}

/** Resolve with `value` after `ms`, for races against a deadline. */
export function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

export interface PostResult {
  status: number;
  body: string;
  fingerprint256?: string;
}

export function post(port: number, path: string, body: string, opts: { ca: string | string[]; agent?: Agent | false }): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method: 'POST', ca: opts.ca, servername: 'localhost', agent: opts.agent ?? false, headers: { 'content-type': 'application/json' } },
      (res) => {
        const sock = res.socket as tls.TLSSocket;
        const fp = sock.getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(fp ? { fingerprint256: fp } : {}) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * What the server has sent once a whole response head arrived (or, with `orClose`, once
 * the socket closed); '' if neither happened within `guardMs`.
 */
export function responseHead(c: RawClient, guardMs: number, orClose = false): Promise<string> {
  return Promise.race([
    new Promise<string>((resolve) => {
      const check = (): void => {
        if (c.received().includes('\r\n\r\n') || (orClose && c.socket.destroyed)) resolve(c.received());
        else setTimeout(check, 20).unref();
      };
      check();
    }),
    after(guardMs, ''),
  ]);
}
