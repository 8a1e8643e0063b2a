#!/usr/bin/env node
// The composition root and the `sdb-tls-guard` binary: the one place that reads the
// environment, files and signals and wires the pieces together.
//   sdb-tls-guard serve [flags]   the HTTPS admission webhook (+ reconciler)
//   sdb-tls-guard check [flags]   the pipeline CLI (src/cli/check.ts)
//   sdb-tls-guard help | --version
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { runCheck } from './cli/check.js';
import { parseServeArgs, SERVE_USAGE, UsageError, type ServeConfig } from './config.js';
import type { EngineOptions } from './core/engine.js';
import type { Policy } from './core/policy.js';
import { parsePolicy } from './core/policy-load.js';
import { InformerView } from './kube/informer-view.js';
import { KubeConfigError, loadKubeConfig } from './kube/kubeconfig.js';
import { systemClock } from './kube/ports.js';
import { createMetrics, type Metrics } from './metrics.js';
import { buildApp, type ReadinessReport } from './server/app.js';
import { bufferedLogDestination } from './server/log-destination.js';
import { batchedScheduler } from './server/scheduler.js';
import { caBundleBase64, generateSelfSigned } from './server/selfsigned.js';
import { CertificateReloader, httpsServerOptions, TlsMaterialError, validateMaterial, type TlsMaterial } from './server/tls.js';
import { clientNodeBootstrapPorts } from './kube/cert-bootstrap/client.js';
import { fileWriter } from './kube/cert-bootstrap/files.js';
import { startCertBootstrap, type CertBootstrap } from './kube/cert-bootstrap/loop.js';

export const USAGE = `Usage: sdb-tls-guard <command> [flags]

Commands:
  serve     serve the admission webhook over HTTPS (see: sdb-tls-guard serve --help)
  check     check SinglestoreOpsRequest manifests like the webhook would (see: sdb-tls-guard check --help)
  help      show this help

  --version print the version
`;

export interface MainIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when the server should shut down. Default: the first SIGTERM or SIGINT. */
  shutdown?: Promise<string>;
  /** Called once the server listens (tests read the port from it). */
  onListening?: (info: { port: number; host: string; caPem?: string }) => void;
}

/** The package version, read from the package.json above this module (src/ or dist/src/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'sdb-tls-guard' && pkg.version) return pkg.version;
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

// ---- reconciler wiring point ----------------------------------------------------------

/** What the reconciler gets from the composition root. */
export interface ReconcilerHookDeps {
  kubeConfig: KubeConfig;
  /** The shared informer caches: a ClusterView, the reconciler's ReconcileCache (with
   *  the Certificates, PetSets and Pods it waits on), plus subscribe()/list() for watch → enqueue. */
  view: InformerView;
  /** reconcileSteps and reconcileStepDuration live here. */
  metrics: Metrics;
  /** pino child logger with component=reconciler. */
  logger: FastifyBaseLogger;
  policy?: Policy;
  engineOptions: EngineOptions;
  /** Namespace for the leader-election Lease (--namespace / POD_NAMESPACE). */
  namespace: string;
  /** POD_NAME from the downward API, if set: the Lease identity (docs/reconciler.md). */
  podName: string | undefined;
}

export type StopReconciler = () => Promise<void>;

/**
 * Starts the reconciler (./controller/index.js, loaded only when serving with it) and
 * returns its stop function. serve() calls this only with --reconcile (the default) and a
 * kubeconfig, after the HTTPS server listens, and awaits the stop function on shutdown.
 */
export async function startReconcilerHook(deps: ReconcilerHookDeps): Promise<StopReconciler | undefined> {
  const { startReconciler, cacheOpsSource, reconcilerIdentity } = await import('./controller/index.js');
  const { clientPorts } = await import('./kube/client-ports.js');
  // The one place the identity is derived: the pod name, else <hostname>_<pid> (the host
  // name alone is not unique: two processes on one host).
  const identity = reconcilerIdentity(deps.podName, hostname(), process.pid);
  const running = startReconciler({
    ports: clientPorts(deps.kubeConfig, systemClock),
    clock: systemClock,
    source: cacheOpsSource(deps.view),
    view: deps.view,
    cache: deps.view,
    logger: deps.logger,
    metrics: deps.metrics,
    ...(deps.policy ? { policy: deps.policy } : {}),
    engineOptions: deps.engineOptions,
    namespace: deps.namespace,
    identity,
  });
  return () => running.stop();
}

// ---- serve ------------------------------------------------------------------------------

class StartupError extends Error {
  override name = 'StartupError';
}

function signalShutdown(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** Wait `ms`; with `signals`, a second SIGTERM/SIGINT cuts the wait short. */
function drain(ms: number, signals: boolean): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (signals) {
      process.on('SIGTERM', done);
      process.on('SIGINT', done);
    }
  });
}

async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new StartupError(`cannot read policy file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parsePolicy(text, path);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
}

async function serve(config: ServeConfig, io: MainIO): Promise<number> {
  // The process's own stdout gets a buffered destination (src/server/log-destination.ts);
  // a stream handed in by a caller (tests) is written to as it is.
  const destination = io.stdout === process.stdout ? bufferedLogDestination(1) : undefined;
  const logger = pino({ level: config.logLevel, base: { app: 'sdb-tls-guard' } }, destination ?? io.stdout);
  const version = packageVersion();

  // Everything that can be wrong with the configuration is found before listening.
  let policy: Policy | undefined;
  let kube: ReturnType<typeof loadKubeConfig>;
  let clientCa: string | undefined;
  try {
    if (config.policyFile) policy = await loadPolicy(config.policyFile);
    kube = loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.context, env: io.env });
    if (!kube && config.context) throw new StartupError(`--context ${config.context} given but no kubeconfig was found (--kubeconfig, KUBECONFIG or in-cluster)`);
    if (config.clientCaFile && config.tls.mode === 'self-signed') {
      try {
        clientCa = await readFile(config.clientCaFile, 'utf8');
      } catch (err) {
        throw new StartupError(`cannot read client CA ${config.clientCaFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  } catch (err) {
    if (err instanceof StartupError || err instanceof KubeConfigError) {
      io.stderr.write(`sdb-tls-guard serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const metrics = createMetrics({ processMetrics: true, version });
  const engineOptions: EngineOptions = { defaultTimeout: config.defaultTimeout };
  const settings = { minVersion: config.tlsMinVersion };

  // Bootstrap certificates (--bootstrap-certs): the serving pair is made/renewed through a
  // Secret and written to --cert/--key before the files are loaded below.
  let certBootstrap: CertBootstrap | undefined;
  if (config.bootstrap && config.tls.mode === 'files') {
    if (!kube) {
      io.stderr.write('sdb-tls-guard serve: --bootstrap-certs needs a kubeconfig (--kubeconfig, KUBECONFIG or in-cluster) to keep its Secret\n');
      return 2;
    }
    certBootstrap = startCertBootstrap({
      namespace: config.namespace,
      secretName: config.bootstrap.secretName,
      webhookConfigurations: { validating: config.bootstrap.validatingWebhook, mutating: config.bootstrap.mutatingWebhook },
      serviceName: config.serviceName,
      ...clientNodeBootstrapPorts(kube.kubeConfig),
      files: fileWriter(config.tls.certFile, config.tls.keyFile),
      logger: logger.child({ component: 'cert-bootstrap' }),
      now: () => Date.now(),
      // loopback names too, for a webhook reached by URL (local runs, the e2e tier)
      extraDnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    logger.info({ namespace: config.namespace, secret: config.bootstrap.secretName }, 'bootstrap certificates: waiting for the serving certificate');
    await certBootstrap.ready;
  }

  // TLS material.
  let material: TlsMaterial;
  let reloader: CertificateReloader | undefined;
  let caPem: string | undefined;
  try {
    if (config.tls.mode === 'self-signed') {
      const ss = await generateSelfSigned({ namespace: config.namespace, serviceName: config.serviceName });
      material = { cert: ss.cert, key: ss.key, ...(clientCa !== undefined ? { clientCa } : {}) };
      validateMaterial(material);
      metrics.tlsCertificateExpiry.set(Math.floor(Date.parse(new X509Certificate(ss.cert).validTo) / 1000));
      caPem = ss.caCert;
      if (config.tls.caOut) {
        try {
          await writeFile(config.tls.caOut, ss.caCert, { mode: 0o644 });
        } catch (err) {
          throw new StartupError(`cannot write the CA to --ca-out ${config.tls.caOut}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        logger.info({ caOut: config.tls.caOut, dnsNames: ss.dnsNames, ipAddresses: ss.ipAddresses }, 'self-signed serving certificate generated; CA written to --ca-out');
      } else {
        io.stderr.write(
          `sdb-tls-guard: self-signed serving certificate for ${[...ss.dnsNames, ...ss.ipAddresses].join(', ')}\n` +
            `CA bundle (PEM; e.g. curl --cacert):\n${ss.caCert.trimEnd()}\n` +
            `caBundle (base64, for the webhook configurations):\n${caBundleBase64(ss.caCert)}\n`,
        );
      }
    } else {
      reloader = new CertificateReloader({
        files: { certFile: config.tls.certFile, keyFile: config.tls.keyFile, ...(config.clientCaFile ? { clientCaFile: config.clientCaFile } : {}) },
        settings,
        logger,
        metrics,
      });
      const loaded = await reloader.load();
      material = loaded.material;
      logger.info({ cert: config.tls.certFile, subject: loaded.info.subject, notAfter: loaded.info.notAfter.toISOString() }, 'serving certificate loaded');
    }
  } catch (err) {
    if (err instanceof StartupError || err instanceof TlsMaterialError) {
      io.stderr.write(`sdb-tls-guard serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  // Cluster view.
  let view: InformerView | undefined;
  let readiness: () => ReadinessReport;
  let draining: string | undefined;
  if (kube) {
    // With the reconciler, its caches too (Certificates, PetSets, Pods of KubeDB's
    // SingleStore databases); --reconcile=false watches only what admission reads.
    view = InformerView.fromKubeConfig(kube.kubeConfig, { logger: logger.child({ component: 'informers' }), reconciler: config.reconcile });
    const v = view;
    metrics.setCacheSource(() => v.cacheStats());
    // Loaded here, like the reconciler, so `check` starts without the reconcile modules.
    const { requestStats } = await import('./controller/request-stats.js');
    metrics.setRequestSource(() => requestStats(v.list('singlestoreopsrequests'), v.list('singlestores'), Date.now()));
    readiness = () => v.readiness();
    logger.info(
      { kubeconfig: kube.source, context: kube.context, server: kube.server },
      `cluster rules enabled: watching singlestores, singlestoreopsrequests, issuers, clusterissuers${config.reconcile ? '; for the reconciler: certificates, petsets, pods labelled by KubeDB' : ''}`,
    );
    view.start();
  } else {
    readiness = () => ({ ready: true, clusterRules: 'not-evaluated', message: 'ready; no kubeconfig (--kubeconfig, KUBECONFIG or in-cluster): cluster rules are not evaluated' });
    logger.warn({}, 'no kubeconfig (--kubeconfig, KUBECONFIG or in-cluster): cluster rules are not evaluated, only static and policy rules run');
  }

  const app = buildApp({
    metrics,
    logger,
    engineOptions,
    ...(view ? { view } : {}),
    ...(policy ? { policy } : {}),
    // While draining after SIGTERM, /readyz fails so the Service drops this pod first.
    readiness: () => (draining ? { ...readiness(), ready: false, message: draining } : readiness()),
    bodyLimit: config.bodyLimit,
    https: httpsServerOptions(material, settings),
    scheduler: batchedScheduler(),
  });

  const server = app.server as unknown as HttpsServer;
  reloader?.start((options) => server.setSecureContext(options));

  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    io.stderr.write(`sdb-tls-guard serve: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}\n`);
    reloader?.stop();
    await view?.stop();
    await certBootstrap?.stop();
    return 1;
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  logger.info(
    { address, version, tlsMinVersion: config.tlsMinVersion, clientCertificates: Boolean(config.clientCaFile), policy: config.policyFile ?? null, defaultTimeout: config.defaultTimeout, reconcile: config.reconcile },
    'sdb-tls-guard serving',
  );
  io.onListening?.({ port, host: config.host, ...(caPem ? { caPem } : {}) });

  let stopReconciler: StopReconciler | undefined;
  if (config.reconcile && kube && view) {
    try {
      stopReconciler = await startReconcilerHook({
        kubeConfig: kube.kubeConfig,
        view,
        metrics,
        logger: logger.child({ component: 'reconciler' }),
        ...(policy ? { policy } : {}),
        engineOptions,
        namespace: config.namespace,
        podName: io.env['POD_NAME'],
      });
    } catch (err) {
      logger.error({ error: (err as Error).message }, 'reconciler failed to start; serving admission only');
    }
  } else if (config.reconcile) {
    logger.warn({}, 'reconciler not started: it needs a kubeconfig');
  }

  const sig = await (io.shutdown ?? signalShutdown());
  logger.info({ signal: sig, drainMs: config.shutdownDelayMs }, 'shutting down');
  if (config.shutdownDelayMs > 0) {
    draining = `shutting down: draining for ${config.shutdownDelayMs / 1000}s`;
    await drain(config.shutdownDelayMs, !io.shutdown);
  }
  try {
    await stopReconciler?.();
  } catch (err) {
    logger.error({ error: (err as Error).message }, 'reconciler did not stop cleanly');
  }
  await app.close();
  reloader?.stop();
  await view?.stop();
  await certBootstrap?.stop();
  logger.info({}, 'stopped');
  destination?.flushSync();
  return 0;
}

// ---- dispatch -----------------------------------------------------------------------------

export async function run(argv: readonly string[], io: MainIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      let parsed;
      try {
        parsed = parseServeArgs(rest, io.env);
      } catch (err) {
        if (err instanceof UsageError) {
          io.stderr.write(`sdb-tls-guard serve: ${err.message}\nRun 'sdb-tls-guard serve --help' for usage.\n`);
          return 2;
        }
        throw err;
      }
      if (parsed.help || !parsed.config) {
        io.stdout.write(SERVE_USAGE);
        return 0;
      }
      return serve(parsed.config, io);
    }
    case 'check':
      return runCheck([...rest], { stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, env: io.env, cwd: io.cwd });
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return 0;
    case '--version':
    case 'version':
      io.stdout.write(`sdb-tls-guard ${packageVersion()}\n`);
      return 0;
    case undefined:
      io.stderr.write(USAGE);
      return 2;
    default:
      io.stderr.write(`sdb-tls-guard: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  run(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
    (code) => {
      process.exitCode = code;
      // Leftover keep-alive sockets of the Kubernetes client must not hold the process.
      setTimeout(() => process.exit(code), 5000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`sdb-tls-guard: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
