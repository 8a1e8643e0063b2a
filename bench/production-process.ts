// The memory of the service as it runs in production: the Dockerfile's ENTRYPOINT (the
// node binary and the bundle, dist/bundle/sdb-tls-guard.mjs, mapped to this checkout)
// and its ENV, with `serve`, the reconciler on, against the list/watch stand-in (10,000
// objects, Leases for the leader election), then the admission load on /validate and
// /mutate. Its peak RSS is the kernel's high-water mark of that process (VmHWM in
// /proc/<pid>/status), read before it is stopped; with the compiled dist/src instead of
// the bundle for comparison.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from './load.js';

export interface ProductionRun {
  command: string[];
  env: Record<string, string>;
  /** ms from spawn until /readyz answered 200 and every cache (the reconciler's too) synced */
  readyMs: number;
  /** kiB, VmHWM and VmRSS once every cache synced */
  afterSync: { hwmKiB: number; rssKiB: number };
  /** kiB, VmHWM at the end of the load (the peak of the whole run) and VmRSS then */
  end: { hwmKiB: number; rssKiB: number };
  cachedObjects: number;
  leading: boolean;
  load: { validate: LoadResult; mutate: LoadResult };
}

/** What the Dockerfile's final stage runs: its ENTRYPOINT (exec form) and its ENV. */
export function dockerfileRuntime(dockerfile: string): { entrypoint: string[]; env: Record<string, string> } {
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const entry = [...final.matchAll(/^ENTRYPOINT\s+(\[.*\])\s*$/gm)].at(-1)?.[1];
  if (entry === undefined) throw new Error('the Dockerfile has no ENTRYPOINT in exec form in its final stage');
  const env: Record<string, string> = {};
  for (const [, args = ''] of final.matchAll(/^ENV\s+(.*)$/gm)) {
    for (const [, k = '', v = ''] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[k] = v;
  }
  return { entrypoint: JSON.parse(entry) as string[], env };
}

/** The image's argv with its paths mapped to this checkout and this node binary. */
export function localCommand(entrypoint: string[], root: string): string[] {
  return entrypoint.map((a, i) => (i === 0 ? process.execPath : a.startsWith('/app/') ? join(root, a.slice('/app/'.length)) : a));
}

function procStatus(pid: number): { hwmKiB: number; rssKiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { hwmKiB: kib('VmHWM'), rssKiB: kib('VmRSS') };
}

interface Readyz {
  ready?: boolean;
  caches?: { resource: string; synced: boolean; objects: number }[];
}

function getJson(port: number, path: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 5 s`)));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureProductionProcess(o: { command: string[]; env: Record<string, string>; standinUrl: string; body: string; durationSec: number }): Promise<ProductionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'sdb-bench-prod-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster: {server: "${o.standinUrl}", insecure-skip-tls-verify: true}\nusers:\n- name: bench\n  user: {token: bench}\ncontexts:\n- name: standin\n  context: {cluster: standin, user: bench}\ncurrent-context: standin\n`,
  );
  const caOut = join(dir, 'ca.pem');
  const [node, ...rest] = o.command;
  if (node === undefined) throw new Error('empty command');
  const args = [...rest, 'serve', '--self-signed', '--ca-out', caOut, '--host', '127.0.0.1', '--port', '0', '--kubeconfig', kubeconfig];
  const started = performance.now();
  const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...o.env, POD_NAMESPACE: 'sdb-tls-guard' } });
  let log = '';
  child.stdout.on('data', (d: Buffer) => {
    if (log.length < 1 << 20) log += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    if (log.length < 1 << 20) log += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${o.command.join(' ')}`);
    let port = 0;
    let ca = '';
    let cachedObjects = 0;
    for (;;) {
      if (performance.now() - started > 120_000) throw new Error(`not ready with every cache synced within 120 s; its log:\n${log.slice(-4000)}`);
      if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}); its log:\n${log.slice(-4000)}`);
      await sleep(100);
      if (!port) {
        const m = /"address":"https:\/\/127\.0\.0\.1:(\d+)"/.exec(log);
        if (!m?.[1]) continue;
        port = Number(m[1]);
        ca = readFileSync(caOut, 'utf8');
      }
      const r = await getJson(port, '/readyz', ca).catch(() => undefined);
      const body = r?.body as Readyz | undefined;
      const caches = body?.caches ?? [];
      if (r?.status === 200 && caches.length > 0 && caches.every((c) => c.synced)) {
        cachedObjects = caches.reduce((n, c) => n + c.objects, 0);
        break;
      }
    }
    const readyMs = performance.now() - started;
    await sleep(1000);
    const afterSync = procStatus(pid);
    const url = (path: string) => `https://127.0.0.1:${port}${path}`;
    // The load generator (autocannon) does not verify the self-signed certificate.
    const validate = await runLoad({ url: url('/validate'), body: o.body, connections: 50, durationSec: o.durationSec });
    const mutate = await runLoad({ url: url('/mutate'), body: o.body, connections: 50, durationSec: o.durationSec });
    const end = procStatus(pid);
    return { command: [node, ...args], env: o.env, readyMs, afterSync, end, cachedObjects, leading: log.includes('"reconciler started"'), load: { validate, mutate } };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}
