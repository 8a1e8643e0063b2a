// A real etcd + kube-apiserver on free loopback ports — the envtest recipe, in
// TypeScript — with KubeDB's and cert-manager's published CRDs installed and, after
// them, the real controllers (./controllers.ts): kube-controller-manager,
// kube-scheduler, kwok (a fake node) and cert-manager. Binaries come from
// scripts/build-control-plane.sh (built from the Go module proxy, cached by version
// outside the repository).
//
//   const cp = await startControlPlane();
//   ... cp.api (raw HTTPS client), cp.kubeConfig (client-node), cp.kubeconfigPath ...
//   await cp.stop();
//
// Everything is stopped and the scratch directory removed by stop(), and also — by the
// process watchdogs and exit hooks of ./process.ts — on test failure, Ctrl-C, SIGTERM or
// when the test process dies.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from './api.js';
import { makeControlPlaneCerts, writeCerts } from './certs.js';
import { startControllers, type ControllerBinaries, type Controllers } from './controllers.js';
import { installCRDs } from './crds.js';
import { TestOnlyPetSetController } from './stand-ins.js';
import { REPO_ROOT } from './paths.js';
import { freePort, startProcess, waitFor, type ManagedProcess } from './process.js';

export { REPO_ROOT };

export interface Binaries extends ControllerBinaries {
  kubeApiserver: string;
  etcd: string;
  kubectl?: string;
  kubeVersion: string;
  etcdVersion: string;
  envFile: string;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['SDB_TLS_GUARD_CACHE'] || join(homedir(), '.cache', 'sdb-tls-guard');
}

function parseEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [, key, value] = /^([A-Z_]+)=(.*)$/.exec(line.trim()) ?? [];
    if (key !== undefined && value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The binaries to run: from $SDB_CONTROL_PLANE_ENV, else the cache's control-plane.env;
 * when neither exists, runs scripts/build-control-plane.sh (a cold build takes many
 * minutes). Throws — never skips — when they cannot be had.
 */
export function findBinaries(env: NodeJS.ProcessEnv = process.env): Binaries {
  let envFile = env['SDB_CONTROL_PLANE_ENV'] || join(cacheRoot(env), 'control-plane.env');
  if (!existsSync(envFile)) {
    process.stderr.write(`e2e: ${envFile} not found; running scripts/build-control-plane.sh (a cold build takes many minutes)\n`);
    const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/build-control-plane.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`scripts/build-control-plane.sh failed (exit ${String(r.status ?? r.signal)}); the e2e tier needs the control plane, kwok and cert-manager`);
    envFile = r.stdout.trim().split('\n').pop() ?? envFile;
  }
  const v = parseEnvFile(envFile);
  const need = (k: string): string => {
    const x = v[k];
    if (!x) throw new Error(`${envFile}: ${k} is missing; rerun scripts/build-control-plane.sh`);
    return x;
  };
  const b: Binaries = {
    kubeApiserver: need('KUBE_APISERVER'),
    kubeControllerManager: need('KUBE_CONTROLLER_MANAGER'),
    kubeScheduler: need('KUBE_SCHEDULER'),
    etcd: need('ETCD'),
    kubeVersion: need('KUBE_VERSION'),
    etcdVersion: need('ETCD_VERSION'),
    kwok: need('KWOK'),
    kwokStages: need('KWOK_STAGES'),
    kwokVersion: need('KWOK_VERSION'),
    certManager: need('CERT_MANAGER'),
    certManagerVersion: need('CERT_MANAGER_VERSION'),
    envFile,
  };
  if (v['KUBECTL']) b.kubectl = v['KUBECTL'];
  for (const p of [b.kubeApiserver, b.kubeControllerManager, b.kubeScheduler, b.etcd, b.kwok, b.kwokStages, b.certManager]) {
    if (!existsSync(p)) throw new Error(`${p} (from ${envFile}) does not exist; rerun scripts/build-control-plane.sh`);
  }
  return b;
}

/** The version a binary prints with --version (its last word: "Kubernetes v1.37.2" → v1.37.2). */
export function binaryVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return 'unknown'; // not started: no output to read
  const line = `${r.stdout}${r.stderr}`.split('\n').find((l) => /v?\d+\.\d+\.\d+/.test(l)) ?? '';
  return /v?\d+\.\d+\.\d+[^\s,]*/.exec(line)?.[0] ?? 'unknown';
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** Admin client (system:masters) with raw access to statuses and Warning headers. */
  api: ApiClient;
  /** gitVersion from the API server's /version, e.g. v1.37.2. */
  version: string;
  etcdVersion: string;
  binaries: Binaries;
  /** Scratch directory (certs, kubeconfig, etcd data, logs); removed by stop(). */
  dir: string;
  /** PEM of the CA that signed the API server's certificate and the admin client cert. */
  caCert: string;
  etcd: ManagedProcess;
  apiserver: ManagedProcess;
  /** The real controllers (absent with `controllers: false`). */
  controllers?: Controllers;
  /** The PetSet stand-in, cluster-wide (absent with `controllers: false`). */
  petSets?: TestOnlyPetSetController;
  /** One line naming every part and its version, as the test log shows it. */
  versions: string;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Install the published CRDs of ../shared/crds (default true). */
  crds?: boolean;
  /** Start kube-controller-manager, kube-scheduler, kwok and cert-manager after the
   *  CRDs (default true; needs the CRDs). */
  controllers?: boolean;
  /** Keep the scratch directory on stop() (for debugging; default false). */
  keepDir?: boolean;
  log?: (line: string) => void;
  /** Extra kube-apiserver flags. */
  apiserverArgs?: string[];
}

export function kubeconfigYaml(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caPem)}`,
    'users:',
    '- name: e2e-admin',
    '  user:',
    `    client-certificate-data: ${b64(certPem)}`,
    `    client-key-data: ${b64(keyPem)}`,
    'contexts:',
    '- name: e2e',
    '  context:',
    '    cluster: e2e',
    '    user: e2e-admin',
    'current-context: e2e',
    '',
  ].join('\n');
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const binaries = findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'sdb-e2e-'));
  const started: ManagedProcess[] = [];
  let petSets: TestOnlyPetSetController | undefined;
  const cleanup = async (): Promise<void> => {
    await petSets?.stop();
    for (const p of started.reverse()) await p.stop();
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const certs = await makeControlPlaneCerts();
    const files = writeCerts(dir, certs);

    // etcd: plain HTTP on loopback, no fsync (test data).
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startProcess({
      name: 'etcd',
      command: binaries.etcd,
      args: [
        '--name=e2e',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=e2e=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
        '--quota-backend-bytes=1073741824',
      ],
      logFile: join(dir, 'etcd.log'),
      scratchDir: dir,
    });
    started.push(etcd);
    await waitFor(
      'etcd /health',
      async () => {
        if ((await Promise.race([etcd.exited, Promise.resolve(undefined)])) !== undefined) throw new Error(`etcd exited:\n${etcd.tail()}`);
        const r = await fetch(`${etcdUrl}/health`);
        return r.ok ? true : undefined;
      },
      30_000,
    );

    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const apiserver = startProcess({
      name: 'kube-apiserver',
      command: binaries.kubeApiserver,
      args: [
        `--etcd-servers=${etcdUrl}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${files.servingCertFile}`,
        `--tls-private-key-file=${files.servingKeyFile}`,
        `--secure-port=${port}`,
        '--bind-address=127.0.0.1',
        `--advertise-address=127.0.0.1`,
        `--client-ca-file=${files.caFile}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${files.saPublicKeyFile}`,
        `--service-account-signing-key-file=${files.saPrivateKeyFile}`,
        // Pods of the tests mount no service-account token (kwok runs no containers).
        '--disable-admission-plugins=ServiceAccount',
        // Webhooks are admission plugins; they are on by default, named here so a reader sees them.
        '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
        '--v=1',
        ...(opts.apiserverArgs ?? []),
      ],
      logFile: join(dir, 'kube-apiserver.log'),
      scratchDir: dir,
    });
    started.push(apiserver);

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, certs.caCert, certs.adminCert, certs.adminKey), { mode: 0o600 });
    const api = new ApiClient(server, { ca: certs.caCert, cert: certs.adminCert, key: certs.adminKey });

    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        if ((await Promise.race([apiserver.exited, Promise.resolve(undefined)])) !== undefined) {
          throw new Error(`kube-apiserver exited:\n${apiserver.tail()}`);
        }
        const r = await api.get('/readyz');
        return r.status === 200 ? true : undefined;
      },
      90_000,
      500,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- kube-apiserver log ---\n${apiserver.tail(30)}`, { cause: err });
    });
    const version = ((await api.get<{ gitVersion?: string } | undefined>('/version')).body?.gitVersion ?? 'unknown').trim();

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);

    if (opts.crds !== false) await installCRDs(api);
    let controllers: Controllers | undefined;
    if (opts.crds !== false && opts.controllers !== false) {
      controllers = await startControllers(binaries, { dir, kubeconfigPath, saPrivateKeyFile: files.saPrivateKeyFile, caFile: files.caFile, api });
      started.push(...controllers.all);
      petSets = new TestOnlyPetSetController(api).start();
    }
    // What each binary says of itself (not what the env file claims).
    const versions = [
      `kube-apiserver ${version}`,
      `etcd ${binaries.etcdVersion}`,
      ...(controllers
        ? [
            `kube-controller-manager ${binaryVersion(binaries.kubeControllerManager)}`,
            `kube-scheduler ${binaryVersion(binaries.kubeScheduler)}`,
            `kwok ${binaryVersion(binaries.kwok)}`,
            `cert-manager ${binaryVersion(binaries.certManager)}`,
          ]
        : ['no controllers']),
    ].join(', ');

    log(`e2e: ${versions}; API server at ${server}; kubeconfig ${kubeconfigPath}`);
    let stopped: Promise<void> | undefined;
    return {
      server,
      kubeconfigPath,
      kubeConfig,
      api,
      version,
      etcdVersion: binaries.etcdVersion,
      binaries,
      dir,
      caCert: certs.caCert,
      etcd,
      apiserver,
      ...(controllers ? { controllers } : {}),
      ...(petSets ? { petSets } : {}),
      versions,
      stop() {
        stopped ??= (async () => {
          api.close();
          await cleanup();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
