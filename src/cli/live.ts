// `check --cluster`: read-only live lookups. For every namespace the inputs touch, list
// Singlestores, SinglestoreOpsRequests and Issuers there, and ClusterIssuers cluster-wide;
// the result feeds the same in-memory view --state files do. Only list calls are made.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GVK } from '../api/types.js';

export interface LiveOptions {
  kubeconfig?: string;
  /** Per list call, in milliseconds (default 30 s). */
  timeoutMs?: number;
  context?: string;
  env: Record<string, string | undefined>;
  cwd: string;
  namespaces: readonly string[];
}

export interface LiveResult {
  objects: Record<string, unknown>[];
  notes: string[];
  /** `<context> (<server>)`, for the user's peace of mind. */
  target: string;
}

/** A failure that stops the command (exit 2); the message says what to fix. */
export class LiveError extends Error {}

interface Resource { group: string; version: string; plural: string; kind: string }

/** Load the kubeconfig the way kubectl picks it, but from the given env (no process.env). */
export function loadKubeConfig(opts: Pick<LiveOptions, 'kubeconfig' | 'context' | 'env' | 'cwd'>): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig !== undefined) {
      const file = path.resolve(opts.cwd, opts.kubeconfig);
      if (!existsSync(file)) throw new LiveError(`--kubeconfig ${opts.kubeconfig}: no such file`);
      kc.loadFromFile(file);
    } else if (opts.env.KUBECONFIG) {
      const files = opts.env.KUBECONFIG.split(path.delimiter).filter((f) => f !== '');
      const present = files.map((f) => path.resolve(opts.cwd, f)).filter((f) => existsSync(f));
      const [first, ...others] = present;
      if (first === undefined) throw new LiveError(`KUBECONFIG=${opts.env.KUBECONFIG}: no such file`);
      kc.loadFromFile(first);
      for (const f of others) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more);
      }
    } else if (opts.env.HOME && existsSync(path.join(opts.env.HOME, '.kube', 'config'))) {
      kc.loadFromFile(path.join(opts.env.HOME, '.kube', 'config'));
    } else if (opts.env.KUBERNETES_SERVICE_HOST && opts.env.KUBERNETES_SERVICE_PORT) {
      kc.loadFromCluster();
    } else {
      throw new LiveError('--cluster: no kubeconfig found (give --kubeconfig, set KUBECONFIG, or create ~/.kube/config)');
    }
  } catch (e) {
    if (e instanceof LiveError) throw e;
    throw new LiveError(`--cluster: cannot load kubeconfig: ${(e as Error).message}`);
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new LiveError(`--context ${opts.context}: no such context in the kubeconfig${known.length ? ` (have: ${known.join(', ')})` : ''}`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new LiveError(`--cluster: the kubeconfig's current context "${kc.getCurrentContext()}" names no cluster`);
  return kc;
}

export async function fetchClusterState(opts: LiveOptions): Promise<LiveResult> {
  const kc = loadKubeConfig(opts);
  const api = kc.makeApiClient(CustomObjectsApi);
  const server = kc.getCurrentCluster()?.server ?? '?';
  const target = `context "${kc.getCurrentContext()}" (${server})`;
  const objects: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const missing = new Set<string>();

  const list = async (res: Resource, namespace?: string): Promise<void> => {
    if (missing.has(res.plural)) return;
    const where = namespace === undefined ? `${res.plural}.${res.group}` : `${res.plural}.${res.group} in namespace ${namespace}`;
    let cont: string | undefined;
    do {
      let page: unknown;
      try {
        const call =
          namespace === undefined
            ? api.listClusterCustomObject({ group: res.group, version: res.version, plural: res.plural, ...(cont ? { _continue: cont } : {}) })
            : api.listNamespacedCustomObject({ group: res.group, version: res.version, namespace, plural: res.plural, ...(cont ? { _continue: cont } : {}) });
        page = await withTimeout(call, opts.timeoutMs ?? 30_000);
      } catch (e) {
        if (e instanceof ApiException && e.code === 404) {
          missing.add(res.plural);
          notes.push(`--cluster: ${res.plural}.${res.group}/${res.version} is not served by ${server} (CRD not installed?): treated as none`);
          return;
        }
        throw new LiveError(`--cluster: cannot list ${where} on ${server}: ${describe(e)}`);
      }
      const body = (page ?? {}) as { items?: unknown; metadata?: { continue?: string } };
      const items = Array.isArray(body.items) ? body.items : [];
      for (const item of items) {
        if (typeof item !== 'object' || item === null) continue;
        // Lists of custom resources carry kind/apiVersion on each item; make sure.
        objects.push({ apiVersion: `${res.group}/${res.version}`, kind: res.kind, ...(item as Record<string, unknown>) });
      }
      cont = body.metadata?.continue || undefined;
    } while (cont);
  };

  for (const ns of opts.namespaces) {
    await list(GVK.singlestore, ns);
    await list(GVK.opsRequest, ns);
    await list(GVK.issuer, ns);
  }
  await list(GVK.clusterIssuer);
  return { objects, notes, target };
}

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

function describe(e: unknown): string {
  if (e instanceof TimeoutError) return e.message;
  if (e instanceof ApiException) {
    const reason = statusMessage(e.body);
    switch (e.code) {
      case 401:
        return `401 Unauthorized (the kubeconfig's credentials were refused)${reason}`;
      case 403:
        return `403 Forbidden (the user may not list them; check-time needs get/list on singlestores, singlestoreopsrequests, issuers, clusterissuers)${reason}`;
      default:
        return `HTTP ${e.code}${reason}`;
    }
  }
  const err = e as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'host not found';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  return err.cause?.message ?? err.message ?? String(e);
}

function statusMessage(body: unknown): string {
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.trim() ? `: ${body.trim().slice(0, 300)}` : '';
    }
  }
  const m = (b as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m ? `: ${m}` : '';
}
