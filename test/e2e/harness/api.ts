// A small HTTPS client for the test API server, authenticated with the admin client
// certificate. It returns what a test needs to see and client libraries tend to hide:
// the HTTP status, the decoded body (objects or metav1.Status errors) and the `Warning`
// response headers the API server relays from admission webhooks.
import { Agent, request } from 'node:https';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  /** Decoded `Warning: 299 - "text"` headers, in order. */
  warnings: string[];
  headers: Record<string, string | string[] | undefined>;
}

/** The parts of a metav1.Status error body the tests look at. */
export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: unknown;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Parses RFC 7234 warn-values as the API server writes them: 299 - "text". */
export function parseWarnings(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  const out: string[] = [];
  for (const v of values) {
    // One header may hold several comma-separated warn-values.
    const re = /(\d{3}) (\S+) "((?:[^"\\]|\\.)*)"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(v)) !== null) out.push((m[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  return out;
}

export class ApiClient {
  private readonly agent: Agent;
  constructor(
    readonly server: string,
    tls: { ca: string; cert: string; key: string },
  ) {
    this.agent = new Agent({ ...tls, keepAlive: true, maxSockets: 8 });
  }

  close(): void {
    this.agent.destroy();
  }

  request<T = unknown>(method: string, path: string, body?: unknown, opts: { contentType?: string; query?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            ...(payload !== undefined ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON (e.g. /readyz "ok")
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings: parseWarnings(res.headers.warning), headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T = unknown>(path: string, query?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, undefined, query ? { query } : {});
  }
  post<T = unknown>(path: string, body: unknown, query?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body, query ? { query } : {});
  }
  put<T = unknown>(path: string, body: unknown, query?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('PUT', path, body, query ? { query } : {});
  }
  patch<T = unknown>(path: string, body: unknown, type: PatchType = 'merge', query?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('PATCH', path, body, { contentType: PATCH_CONTENT_TYPES[type], ...(query ? { query } : {}) });
  }
  delete<T = unknown>(path: string, query?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, undefined, query ? { query } : {});
  }

  /** Like request(), but throws with the API server's message unless the status is 2xx. */
  async must<T = unknown>(p: Promise<ApiResponse<T>>, what: string): Promise<T> {
    const r = await p;
    if (r.status < 200 || r.status > 299) {
      const msg = (r.body as StatusBody | undefined)?.message ?? JSON.stringify(r.body);
      throw new Error(`${what}: HTTP ${r.status}: ${msg}`);
    }
    return r.body;
  }
}

/** REST path of a namespaced custom or core resource. */
export function resourcePath(r: { group: string; version: string; plural: string }, namespace?: string, name?: string, sub?: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${r.plural}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
}
