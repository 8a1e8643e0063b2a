// The webhook FROM ITS IMAGE: the archive `npm run image` writes (dist/image/), loaded
// into podman and run the way the chart's Deployment runs it — read-only root
// filesystem, user 65532, no capabilities, no privilege escalation, a small writable
// /tmp, the given arguments, environment and files — on the host network, so the API
// server of the e2e tier (and the tests) reach it on loopback.
//
//   const wh = await startWebhookImage({
//     args: ['serve', '--port=8443', '--cert=/certs/tls.crt', '--key=/certs/tls.key', '--policy=/policy/policy.yaml'],
//     env: { POD_NAMESPACE: 'sdb-tls-guard', POD_NAME: 'sdb-tls-guard-0' },
//     files: [{ source: '/tmp/x/tls.crt', target: '/certs/tls.crt' }, ...],
//   });
//   wh.url; wh.port; wh.logs(); await wh.stop();
//
// Podman comes from Debian (scripts/ensure-podman.sh); the image is built on demand by
// `scripts/build-image.sh --if-stale` (nothing to do when the archive is current).
// test/image/*.test.ts use this module; the e2e install tier can run the webhook from the
// image through it with the rendered Deployment's args (test/image/webhook-image.test.ts
// shows how: args, env with fieldRefs resolved, files at the volumeMounts' paths).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { freePort, sleep, startProcess, waitFor, type ManagedProcess } from './process.js';

export const IMAGE_DIR = join(REPO_ROOT, 'dist/image');
export const IMAGE_ARCHIVE = join(IMAGE_DIR, 'sdb-tls-guard.tar');
/** The user the image (and the chart's securityContext) runs as. */
export const IMAGE_UID = 65532;

/** dist/image/sdb-tls-guard.json, written by scripts/build-image.sh. */
export interface ImageInfo {
  name: string;
  tag: string;
  /** name:tag, e.g. ghcr.io/sdb-tls-guard/sdb-tls-guard:0.1.0 */
  reference: string;
  /** Manifest digest (sha256:...). */
  digest: string;
  /** Config digest: the image id podman and docker show. */
  imageId: string;
  platform: string;
  archive: string;
  archiveBytes: number;
  layerBytesCompressed: number;
  node: string;
  sourceDateEpoch: number;
  buildSeconds: number;
  /** sha256 of the build's inputs (scripts/build-image.sh --if-stale). */
  inputs: string;
}

/** Flags podman needs on this kind of machine (../shared/DESIGN.md, "Containers without a daemon"). */
export const PODMAN_GLOBAL_ARGS = ['--cgroup-manager=cgroupfs', '--runtime=runc'];
/** `podman run` flags of every container started here: the chart's securityContext. */
export const PODMAN_RUN_ARGS = [
  '--pull=never',
  '--network=host',
  '--read-only',
  '--read-only-tmpfs=false',
  // The chart's emptyDir /tmp (sizeLimit 16Mi).
  '--tmpfs=/tmp:rw,size=16m,mode=1777',
  `--user=${IMAGE_UID}:${IMAGE_UID}`,
  '--cap-drop=all',
  '--security-opt=no-new-privileges',
  '--ulimit=nofile=4096:4096',
  '--ulimit=nproc=4096:4096',
];

let podmanChecked: string | undefined;

/** Installs podman when missing (scripts/ensure-podman.sh); throws with the reason when it cannot. */
export function ensurePodman(): string {
  if (podmanChecked === undefined) {
    const r = spawnSync('sh', [join(REPO_ROOT, 'scripts/ensure-podman.sh')], { encoding: 'utf8', timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`podman is not available and could not be installed (scripts/ensure-podman.sh exit ${String(r.status)}):\n${r.stderr}`);
    podmanChecked = r.stdout.trim().split('\n').pop() ?? 'podman';
  }
  return podmanChecked;
}

/** Runs `podman <global flags> ...args` to completion. */
export function podman(args: string[], o: { timeoutMs?: number; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(ensurePodman(), [...PODMAN_GLOBAL_ARGS, ...args], {
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(o.input !== undefined ? { input: o.input } : {}),
  });
  if (r.error) throw r.error;
  return r;
}

let built: Promise<ImageInfo> | undefined;

/**
 * The built image's description, after `scripts/build-image.sh --if-stale` (which builds
 * only when the archive is missing or its inputs' contents changed; the script lets one
 * build run at a time). Throws with the reason when the image cannot be built.
 */
export function imageInfo(): Promise<ImageInfo> {
  built ??= (async () => {
    // The script itself serialises builds (flock on dist/image/.build.lock).
    const r = spawnSync('sh', [join(REPO_ROOT, 'scripts/build-image.sh'), '--if-stale'], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`scripts/build-image.sh failed (exit ${String(r.status ?? r.signal)}):\n${r.stderr.split('\n').slice(-30).join('\n')}`);
    if (!existsSync(IMAGE_ARCHIVE)) throw new Error(`scripts/build-image.sh wrote no ${IMAGE_ARCHIVE}`);
    return JSON.parse(readFileSync(join(IMAGE_DIR, 'sdb-tls-guard.json'), 'utf8')) as ImageInfo;
  })();
  return built;
}

/**
 * Loads the archive into podman unless podman already holds the same manifest digest
 * under the image's name; returns the image description.
 */
export async function ensureImageLoaded(): Promise<ImageInfo> {
  const info = await imageInfo();
  const have = podman(['image', 'inspect', '--format', '{{.Digest}}', info.reference]);
  if (have.status === 0 && have.stdout.trim() === info.digest) return info;
  const r = podman(['load', '--input', IMAGE_ARCHIVE], { timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`podman load ${IMAGE_ARCHIVE} failed (exit ${String(r.status)}):\n${r.stderr}`);
  const now = podman(['image', 'inspect', '--format', '{{.Digest}}', info.reference]);
  if (now.stdout.trim() !== info.digest) throw new Error(`after podman load, ${info.reference} has digest ${now.stdout.trim() || '(none)'}, the archive ${info.digest}`);
  return info;
}

/** A host file made visible in the container, read-only. */
export interface ImageFile {
  /** Path on this machine. */
  source: string;
  /** Absolute path in the container, e.g. /certs/tls.crt. */
  target: string;
}

/**
 * Copies each file into `dir` owned by 65532:65532 with mode 0440 — what the chart's
 * Secret volume (defaultMode 0440, fsGroup 65532) gives the container — and returns the
 * `--volume` flags that mount the copies read-only.
 */
function stageFiles(files: readonly ImageFile[], dir: string): string[] {
  const flags: string[] = [];
  files.forEach((f, i) => {
    if (!f.target.startsWith('/')) throw new Error(`file target ${f.target} is not absolute`);
    const copy = join(dir, `${i}-${basename(f.target)}`);
    copyFileSync(f.source, copy);
    if (process.getuid?.() === 0) {
      chownSync(copy, IMAGE_UID, IMAGE_UID);
      chmodSync(copy, 0o440);
    } else {
      chmodSync(copy, 0o444);
    }
    flags.push(`--volume=${copy}:${f.target}:ro`);
  });
  return flags;
}

export interface RunImageOptions {
  env?: Record<string, string>;
  files?: ImageFile[];
  /** Image reference (default: the built image, loaded on demand). */
  image?: string;
  timeoutMs?: number;
  /** Extra `podman run` flags (e.g. --entrypoint=...). */
  podmanArgs?: string[];
}

export interface RunImageResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const envFlags = (env: Record<string, string> = {}): string[] => Object.entries(env).map(([k, v]) => `--env=${k}=${v}`);

/** Runs the image once to completion (e.g. `check FILE`) with the chart's restrictions. */
export async function runImage(args: string[], o: RunImageOptions = {}): Promise<RunImageResult> {
  const image = o.image ?? (await ensureImageLoaded()).reference;
  const dir = mkdtempSync(join(tmpdir(), 'sdb-image-run-'));
  chmodSync(dir, 0o755);
  try {
    const r = podman(['run', '--rm', ...PODMAN_RUN_ARGS, ...envFlags(o.env), ...stageFiles(o.files ?? [], dir), ...(o.podmanArgs ?? []), image, ...args], {
      timeoutMs: o.timeoutMs ?? 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface WebhookImageOptions {
  /**
   * Arguments after the image's entrypoint, as the Deployment gives them, starting with
   * `serve` (e.g. the rendered chart's container args). A `--port` in them is replaced by
   * `port`; without one, `--port=<port>` is appended.
   */
  args: string[];
  /** Environment of the container (e.g. POD_NAMESPACE, POD_NAME). */
  env?: Record<string, string>;
  /** Files mounted read-only (serving certificate and key, policy, kubeconfig, ...):
   *  copied when the container starts, owned 65532:65532 mode 0440 like the chart's Secret. */
  files?: ImageFile[];
  /** Directories bind-mounted read-only as they are (changes show inside, e.g. a
   *  certificate rotation); their files must be readable by uid 65532. */
  dirs?: ImageFile[];
  /** Port to serve on (host network). Default: a free loopback port. */
  port?: number;
  /**
   * Append `--host=127.0.0.1` when the arguments name no --host (default true): on the
   * host network the chart's 0.0.0.0 would listen on every address of this machine.
   */
  loopbackOnly?: boolean;
  /** CA that signed the serving certificate, to probe with (default: read from the
   *  log in --self-signed mode, else the readiness probe does not verify TLS). */
  caPem?: string;
  /** Path the start-up waits on (default /readyz); false: return once the container runs. */
  ready?: '/healthz' | '/readyz' | false;
  /** How long to wait for `ready` (default 60 s). */
  timeoutMs?: number;
  /** Image reference (default: the built image, loaded on demand). */
  image?: string;
  /** Where podman's output goes (default: a file in a scratch directory). */
  logFile?: string;
}

export interface WebhookImage {
  port: number;
  /** https://127.0.0.1:<port> */
  url: string;
  /** The CA from the options, or the one the container printed in --self-signed mode. */
  caPem?: string;
  /** The podman container name. */
  container: string;
  /** The exact `podman run` argument list used. */
  command: string[];
  process: ManagedProcess;
  /** The container's JSON log lines, parsed (also after stop()). */
  logs(): Record<string, unknown>[];
  /** The container's whole output (stdout and stderr). */
  output(): string;
  /** Resolves with podman run's exit code when the container ends. */
  exited: Promise<number | string>;
  /** SIGTERM to the container (the app's graceful shutdown), then removes it. Idempotent. */
  stop(): Promise<void>;
}

function withPort(args: readonly string[], port: number): string[] {
  const out: string[] = [];
  let replaced = false;
  const rest = args.values();
  for (const a of rest) {
    if (a === '--port') {
      out.push(`--port=${port}`);
      rest.next(); // the old port
      replaced = true;
    } else if (a.startsWith('--port=')) {
      out.push(`--port=${port}`);
      replaced = true;
    } else {
      out.push(a);
    }
  }
  if (!replaced) out.push(`--port=${port}`);
  return out;
}

/** GET url over HTTPS: status code (TLS verified against `ca` when given). */
function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 3000, ...(ca ? { ca } : { rejectUnauthorized: false }) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

let counter = 0;
const CONTAINER_PREFIX = 'sdb-tls-guard-test-';

/**
 * Removes containers this module started from test processes that are gone (a runner
 * killed with SIGKILL leaves its `podman run --rm` container running on the host network).
 */
export function removeOrphanContainers(): string[] {
  const r = podman(['ps', '--all', '--filter', `name=^${CONTAINER_PREFIX}`, '--format', '{{.Names}}']);
  const removed: string[] = [];
  for (const name of r.stdout.split('\n').filter(Boolean)) {
    const pid = Number(/^sdb-tls-guard-test-(\d+)-/.exec(name)?.[1]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // no such process
    }
    if (!alive && pid !== process.pid) {
      podman(['rm', '--force', '--ignore', name], { timeoutMs: 30_000 });
      removed.push(name);
    }
  }
  return removed;
}

/** Starts the webhook from the image (see the file header). Throws, with the container's output, when it does not come up. */
export async function startWebhookImage(o: WebhookImageOptions): Promise<WebhookImage> {
  const image = o.image ?? (await ensureImageLoaded()).reference;
  if (counter === 0) removeOrphanContainers();
  const port = o.port ?? (await freePort());
  let args = withPort(o.args, port);
  if (o.loopbackOnly !== false && !args.some((a) => a === '--host' || a.startsWith('--host='))) args = [...args, '--host=127.0.0.1'];
  const scratch = mkdtempSync(join(tmpdir(), 'sdb-image-webhook-'));
  chmodSync(scratch, 0o755);
  const container = `${CONTAINER_PREFIX}${process.pid}-${++counter}`;
  const logFile = o.logFile ?? join(scratch, 'container.log');
  const command = [
    ...PODMAN_GLOBAL_ARGS,
    'run',
    '--rm',
    `--name=${container}`,
    // podman run passes SIGTERM on to the app (its graceful shutdown).
    '--sig-proxy=true',
    ...PODMAN_RUN_ARGS,
    ...envFlags(o.env),
    ...stageFiles(o.files ?? [], scratch),
    ...(o.dirs ?? []).map((d) => `--volume=${d.source}:${d.target}:ro`),
    image,
    ...args,
  ];
  const proc = startProcess({ name: container, command: ensurePodman(), args: command, logFile, scratchDir: scratch });
  // The log outlives stop(): it is read into memory before the scratch directory goes.
  let kept: string | undefined;
  const output = (): string => {
    if (kept !== undefined) return kept;
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const logs = (): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (const line of output().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // partial line
      }
    }
    return out;
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // `podman stop` sends the image's stop signal (SIGTERM) and waits; --rm removes it.
      podman(['stop', '--time=10', '--ignore', container], { timeoutMs: 30_000 });
      await Promise.race([proc.exited, sleep(15_000)]);
      await proc.stop();
      podman(['rm', '--force', '--ignore', container], { timeoutMs: 30_000 });
      kept = output();
      rmSync(scratch, { recursive: true, force: true });
    })());
  const url = `https://127.0.0.1:${port}`;
  let caPem = o.caPem;
  try {
    if (o.ready !== false) {
      const path = o.ready ?? '/readyz';
      await waitFor(
        `the webhook container ${path}`,
        async () => {
          if ((await Promise.race([proc.exited, Promise.resolve(undefined)])) !== undefined) throw new Error('the container exited');
          // --self-signed prints its CA unless --ca-out sends it to a file (then, without
          // options.caPem, the probe does not verify).
          if (caPem === undefined && args.includes('--self-signed') && !args.some((a) => a === '--ca-out' || a.startsWith('--ca-out='))) {
            const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(output());
            if (!m) return undefined;
            caPem = m[0];
          }
          return (await probe(`${url}${path}`, caPem)) === 200 ? true : undefined;
        },
        o.timeoutMs ?? 60_000,
        250,
      );
    }
  } catch (err) {
    const out = output();
    await stop();
    throw new Error(`${(err as Error).message}\n--- podman ${command.join(' ')} ---\n${out.split('\n').slice(-40).join('\n')}`, { cause: err });
  }
  return { port, url, ...(caPem !== undefined ? { caPem } : {}), container, command, process: proc, logs, output, exited: proc.exited, stop };
}
