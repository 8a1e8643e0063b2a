// The webhook under test as a child process (`sdb-tls-guard serve --self-signed`) on a
// free loopback port, and its registration with the test API server FROM THE FILES in
// webhook-config/ (the same files the Helm chart ships): each webhook's clientConfig is
// rewritten to `url: https://127.0.0.1:<port><path>` and its caBundle filled with the
// self-signed CA the process wrote to --ca-out.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { ApiClient } from './api.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { REPO_ROOT } from './paths.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';

export const WEBHOOK_CONFIG_DIR = join(REPO_ROOT, 'webhook-config');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

/** `node dist/bundle/sdb-tls-guard.mjs` (the module the image runs, scripts/bundle.mjs)
 *  when it is newer than every source file, else the sources through tsx (so a single
 *  scenario run never tests a stale build). */
export function webhookCommand(): { command: string; args: string[]; how: string } {
  const built = join(REPO_ROOT, 'dist/bundle/sdb-tls-guard.mjs');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(REPO_ROOT, 'src'))) {
    return { command: process.execPath, args: [built], how: 'dist/bundle/sdb-tls-guard.mjs' };
  }
  return { command: process.execPath, args: ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts')], how: 'src/main.ts through tsx (dist is stale or missing)' };
}

export interface Webhook {
  port: number;
  /** https://127.0.0.1:<port> */
  url: string;
  caPem: string;
  process: ManagedProcess;
  /** The webhook process's log lines (pino JSON), parsed. */
  logs(): Record<string, unknown>[];
  stop: () => Promise<void>;
}

export interface WebhookOptions {
  /** Run the reconciler in the same process (default false: admission only). */
  reconcile?: boolean;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Status code of a GET over HTTPS trusting `ca` (5 s timeout). */
export function httpsGet(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export async function startWebhook(cp: ControlPlane, o: WebhookOptions = {}): Promise<Webhook> {
  const n = readdirSync(cp.dir).filter((f) => f.startsWith('webhook-')).length;
  const caOut = join(cp.dir, `webhook-${n}-ca.crt`);
  const logFile = join(cp.dir, `webhook-${n}.log`);
  const cmd = webhookCommand();
  const proc = startProcess({
    name: 'sdb-tls-guard',
    command: cmd.command,
    args: [
      ...cmd.args,
      'serve',
      '--self-signed',
      `--ca-out=${caOut}`,
      '--port=0',
      '--host=127.0.0.1',
      `--kubeconfig=${cp.kubeconfigPath}`,
      '--namespace=sdb-tls-guard',
      `--reconcile=${o.reconcile ? 'true' : 'false'}`,
      '--log-level=debug',
      ...(o.extraArgs ?? []),
    ],
    logFile,
    cwd: REPO_ROOT,
    env: { ...process.env, ...(o.env ?? {}), KUBECONFIG: cp.kubeconfigPath },
  });
  const logs = (): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    let text: string;
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      return out;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // partial line
      }
    }
    return out;
  };
  try {
    const port = await waitFor(
      'the webhook to listen',
      async () => {
        if ((await Promise.race([proc.exited, Promise.resolve(undefined)])) !== undefined) throw new Error(`the webhook exited:\n${proc.tail()}`);
        const address = logs().find((l) => l['msg'] === 'sdb-tls-guard serving')?.['address'];
        const m = typeof address === 'string' ? /:(\d+)$/.exec(address) : null;
        return m ? Number(m[1]) : undefined;
      },
      60_000,
      200,
    );
    const caPem = readFileSync(caOut, 'utf8');
    const url = `https://127.0.0.1:${port}`;
    // Ready: informer caches synced (cluster rules evaluated).
    await waitFor('the webhook /readyz', async () => ((await httpsGet(`${url}/readyz`, caPem)) === 200 ? true : undefined), 60_000, 250);
    return { port, url, caPem, process: proc, logs, stop: () => proc.stop() };
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n--- webhook log (${cmd.how}) ---\n${proc.tail(30)}`, { cause: err });
  }
}

interface WebhookEntry {
  name: string;
  clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
  [k: string]: unknown;
}
interface WebhookConfiguration {
  apiVersion: string;
  kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';
  metadata: { name: string; [k: string]: unknown };
  webhooks: WebhookEntry[];
}

/** Reads webhook-config/<file> and points every webhook at `url` with `caPem`. */
export function webhookConfigFor(file: 'validating.yaml' | 'mutating.yaml', url: string, caPem: string, dir = WEBHOOK_CONFIG_DIR): WebhookConfiguration {
  const doc = parseDocument(readFileSync(join(dir, file), 'utf8'));
  const [bad] = doc.errors;
  if (bad) throw new Error(`webhook-config/${file}: ${bad.message}`);
  const cfg = doc.toJSON() as WebhookConfiguration | null;
  const want = file === 'validating.yaml' ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration';
  if (cfg?.kind !== want) throw new Error(`webhook-config/${file}: kind ${String(cfg?.kind)}, want ${want}`);
  for (const w of cfg.webhooks) {
    const path = w.clientConfig.service?.path ?? (w.clientConfig.url ? new URL(w.clientConfig.url).pathname : undefined);
    if (!path) throw new Error(`webhook-config/${file}: webhook ${w.name} has no clientConfig.service.path`);
    w.clientConfig = { url: `${url}${path}`, caBundle: Buffer.from(caPem).toString('base64') };
  }
  return cfg;
}

const ADMISSION = '/apis/admissionregistration.k8s.io/v1';

/** Creates (or replaces) both webhook configurations from webhook-config/. */
export async function registerWebhooks(api: ApiClient, wh: { url: string; caPem: string }, dir = WEBHOOK_CONFIG_DIR): Promise<WebhookConfiguration[]> {
  const out: WebhookConfiguration[] = [];
  for (const [file, plural] of [
    ['mutating.yaml', 'mutatingwebhookconfigurations'],
    ['validating.yaml', 'validatingwebhookconfigurations'],
  ] as const) {
    const cfg = webhookConfigFor(file, wh.url, wh.caPem, dir);
    const existing = await api.get<{ metadata?: { resourceVersion?: string } }>(`${ADMISSION}/${plural}/${cfg.metadata.name}`);
    if (existing.status === 200) {
      cfg.metadata = { ...cfg.metadata, resourceVersion: existing.body.metadata?.resourceVersion };
      await api.must(api.put(`${ADMISSION}/${plural}/${cfg.metadata.name}`, cfg), `replacing ${plural}/${cfg.metadata.name}`);
    } else {
      await api.must(api.post(`${ADMISSION}/${plural}`, cfg), `creating ${plural}/${cfg.metadata.name}`);
    }
    out.push(cfg);
  }
  return out;
}

export async function unregisterWebhooks(api: ApiClient, dir = WEBHOOK_CONFIG_DIR): Promise<void> {
  for (const [file, plural] of [
    ['mutating.yaml', 'mutatingwebhookconfigurations'],
    ['validating.yaml', 'validatingwebhookconfigurations'],
  ] as const) {
    const name = (parseDocument(readFileSync(join(dir, file), 'utf8')).toJSON() as WebhookConfiguration).metadata.name;
    await api.delete(`${ADMISSION}/${plural}/${name}`);
  }
}

/** The Lease namespace the service's reconciler elects its leader in (its --namespace default). */
export const LEASE_NAMESPACE = 'sdb-tls-guard';

/**
 * What the reconciler tiers start first: the control plane with its real controllers,
 * the Lease namespace, and the service (webhook + reconciler) registered from
 * webhook-config/. stop() stops the service, then the control plane.
 */
export async function startServiceCluster(log: (line: string) => void, o: WebhookOptions = {}): Promise<{ cp: ControlPlane; wh: Webhook; stop: () => Promise<void> }> {
  const cp = await startControlPlane({ log });
  try {
    await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } }), `namespace ${LEASE_NAMESPACE}`);
    const wh = await startWebhook(cp, { reconcile: true, ...o });
    await registerWebhooks(cp.api, wh);
    log(`parts: ${cp.versions}; webhook + reconciler at ${wh.url}`);
    return {
      cp,
      wh,
      stop: async () => {
        await wh.stop();
        await cp.stop();
      },
    };
  } catch (err) {
    await cp.stop();
    throw err;
  }
}
