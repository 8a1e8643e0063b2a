// The real controllers of the e2e control plane, started after the CRDs are installed
// (kube-controller-manager's discovery would otherwise miss PetSet for ~30 s):
//   kube-controller-manager  garbage collection, namespace deletion, the disruption
//                            controller (PDBs over PetSet pods through the CRD's /scale),
//                            service accounts, node lifecycle;
//   kube-scheduler           binds pods to the kwok node;
//   kwok                     a fake node (heartbeats through a Lease) and pod lifecycles
//                            (Pending+bound → Running/Ready; deletionTimestamp → gone),
//                            from the stage YAML its module ships;
//   cert-manager             the real controller packages of cert-manager (certificates,
//                            CertificateRequests: approver, CA, SelfSigned; Issuers and
//                            ClusterIssuers) in a runner built by
//                            scripts/build-control-plane.sh (scripts/cert-manager-runner).
// All four use the admin kubeconfig and run under the watchdog of ./process.ts.
import { join } from 'node:path';
import type { ApiClient } from './api.js';
import { resourcePath } from './api.js';
import { freePort, startProcess, waitFor, type ManagedProcess } from './process.js';

export interface ControllerBinaries {
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  kwokStages: string;
  kwokVersion: string;
  certManager: string;
  certManagerVersion: string;
}

export interface Controllers {
  kcm: ManagedProcess;
  scheduler: Supervised;
  kwok: Supervised;
  certManager: ManagedProcess;
  /** The fake node pods are scheduled to. */
  nodeName: string;
  /** The SelfSigned ClusterIssuer that signs the tests' CA certificates. */
  selfSignedIssuer: string;
  /** Namespace of ClusterIssuer Secrets (cert-manager's --cluster-resource-namespace). */
  clusterResourceNamespace: string;
  all: ManagedProcess[];
}

export const KWOK_NODE = 'kwok-node-0';
export const SELF_SIGNED_ISSUER = 'e2e-selfsigned';
export const CLUSTER_RESOURCE_NAMESPACE = 'cert-manager';
const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

interface Ctx {
  dir: string;
  kubeconfigPath: string;
  saPrivateKeyFile: string;
  caFile: string;
  api: ApiClient;
}

function alive(p: ManagedProcess): Promise<void> {
  return Promise.race([p.exited, Promise.resolve(undefined)]).then((code) => {
    if (code !== undefined) throw new Error(`${p.name} exited (${code}):\n${p.tail(30)}`);
  });
}

async function healthz(p: ManagedProcess, port: number): Promise<void> {
  // Both serve /healthz on their secure port with a self-signed certificate; anonymous
  // access to /healthz is allowed by their default --authorization-always-allow-paths.
  const { request } = await import('node:https');
  await waitFor(
    `${p.name} /healthz`,
    async () => {
      await alive(p);
      return new Promise<true | undefined>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 2000 }, (res) => {
          res.resume();
          resolve(res.statusCode === 200 ? true : undefined);
        });
        req.on('error', () => resolve(undefined));
        req.on('timeout', () => {
          req.destroy();
          resolve(undefined);
        });
        req.end();
      });
    },
    60_000,
    300,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${p.name} log ---\n${p.tail(30)}`);
  });
}

/** A process restarted whenever it exits on its own (up to `max` times), stopped for good by stop(). */
export interface Supervised extends ManagedProcess {
  current(): ManagedProcess;
  restarts(): number;
}

export function supervise(start: () => ManagedProcess, max = 20): Supervised {
  let cur = start();
  let stopped = false;
  let restarts = 0;
  const watch = (p: ManagedProcess): void => {
    void p.exited.then(() => {
      if (stopped || restarts >= max) return;
      restarts++;
      cur = start();
      watch(cur);
    });
  };
  watch(cur);
  return {
    get name() {
      return cur.name;
    },
    get pid() {
      return cur.pid;
    },
    get logFile() {
      return cur.logFile;
    },
    get exited() {
      return cur.exited;
    },
    tail: (lines?: number) => cur.tail(lines),
    stop: async (graceMs?: number) => {
      stopped = true;
      await cur.stop(graceMs);
    },
    current: () => cur,
    restarts: () => restarts,
  };
}

/** What kube-controller-manager and kube-scheduler both need: the admin kubeconfig for the
 *  API and for delegated authn/z, no leader election, their secure port on loopback. */
function componentArgs(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--authentication-skip-lookup',
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
  ];
}

export async function startControllers(b: ControllerBinaries, ctx: Ctx): Promise<Controllers> {
  const started: ManagedProcess[] = [];
  try {
    const kcmPort = await freePort();
    const kcm = startProcess({
      name: 'kube-controller-manager',
      command: b.kubeControllerManager,
      args: [
        ...componentArgs(ctx.kubeconfigPath, kcmPort),
        `--cert-dir=${join(ctx.dir, 'kcm-certs')}`,
        `--service-account-private-key-file=${ctx.saPrivateKeyFile}`,
        `--root-ca-file=${ctx.caFile}`,
        '--use-service-account-credentials=false',
        '--service-cluster-ip-range=10.0.0.0/24',
        // kwok renews the fake node's Lease every few seconds, but on a loaded 2-core
        // machine a renewal can come late; past the default 50 s grace the node lifecycle
        // controller marks the node NotReady and every pod on it Ready=False, and the
        // tests would measure the machine's load instead of the reconciler.
        '--node-monitor-grace-period=10m',
        '--node-startup-grace-period=10m',
        '--v=1',
      ],
      logFile: join(ctx.dir, 'kube-controller-manager.log'),
    });
    started.push(kcm);

    // kube-scheduler runs as in a real control plane: with leader election, restarted when
    // it exits (the kubelet restarts its static pod). An API server outage longer than the
    // renew deadline (10 s; test/e2e/fault.apiserver.test.ts holds it down ~13 s) makes it
    // give up its lease and exit, and the new process starts from a fresh cache. Without
    // that, v1.37.2 kept a scheduler cache it itself called corrupted after the outage
    // ("Pod updated on a different node than previously added to") and never scheduled
    // the next pod: the replacement of an evicted pod stayed Pending on no node.
    const schedPort = await freePort();
    const scheduler = supervise(() =>
      startProcess({
        name: 'kube-scheduler',
        command: b.kubeScheduler,
        args: [
          ...componentArgs(ctx.kubeconfigPath, schedPort).filter((a) => a !== '--leader-elect=false'),
          '--leader-elect=true',
          '--v=1',
        ],
        logFile: join(ctx.dir, 'kube-scheduler.log'),
      }),
    );
    started.push(scheduler);

    const kwokPort = await freePort();
    const kwok = supervise(() =>
      startProcess({
        name: 'kwok',
        command: b.kwok,
        args: [
          `--kubeconfig=${ctx.kubeconfigPath}`,
          `--config=${b.kwokStages}`,
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
          '--node-ip=127.0.0.1',
          '--cidr=10.1.0.0/16',
          `--server-address=127.0.0.1:${kwokPort}`,
          '--v=WARN',
        ],
        // kwok v0.8.0 builds each stage's CEL environment lazily and, now and then, from two
        // goroutines at once: "fatal error: concurrent map writes" in easycel, seen here at
        // start-up. One OS thread makes that rarer; supervise() restarts it when it happens
        // (kwok keeps no state of its own: it reads everything back from the API server).
        env: { ...process.env, GOMAXPROCS: '1' },
        logFile: join(ctx.dir, 'kwok.log'),
      }),
    );
    started.push(kwok);

    await ctx.api.must(
      ctx.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CLUSTER_RESOURCE_NAMESPACE } }),
      `namespace ${CLUSTER_RESOURCE_NAMESPACE}`,
    );
    const certManager = startProcess({
      name: 'cert-manager',
      command: b.certManager,
      args: [`--kubeconfig=${ctx.kubeconfigPath}`, `--cluster-resource-namespace=${CLUSTER_RESOURCE_NAMESPACE}`],
      logFile: join(ctx.dir, 'cert-manager.log'),
    });
    started.push(certManager);

    // The fake node, managed by kwok (annotation), with room for every test's pods.
    await ctx.api.must(
      ctx.api.post('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: KWOK_NODE,
          annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { 'kubernetes.io/hostname': KWOK_NODE, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
        },
        status: { allocatable: { cpu: '64', memory: '256Gi', pods: '500' }, capacity: { cpu: '64', memory: '256Gi', pods: '500' } },
      }),
      `node ${KWOK_NODE}`,
    );

    await Promise.all([healthz(kcm, kcmPort), healthz(scheduler, schedPort)]);
    await waitFor(
      `node ${KWOK_NODE} Ready (kwok)`,
      async () => {
        await alive(kwok.current());
        const r = await ctx.api.get<{ status?: { conditions?: { type: string; status: string }[] } } | undefined>(`/api/v1/nodes/${KWOK_NODE}`);
        return (r.body?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
      },
      60_000,
      300,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (kwok restarts: ${kwok.restarts()})\n--- kwok log ---\n${kwok.tail(30)}`);
    });

    // cert-manager is working once a SelfSigned ClusterIssuer is Ready.
    await ctx.api.must(
      ctx.api.post(resourcePath({ group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers' }), {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: SELF_SIGNED_ISSUER },
        spec: { selfSigned: {} },
      }),
      `ClusterIssuer ${SELF_SIGNED_ISSUER}`,
    );
    await waitFor(
      `ClusterIssuer ${SELF_SIGNED_ISSUER} Ready (cert-manager)`,
      async () => {
        await alive(certManager);
        const r = await ctx.api.get<{ status?: { conditions?: { type: string; status: string }[] } } | undefined>(
          resourcePath({ group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers' }, undefined, SELF_SIGNED_ISSUER),
        );
        return (r.body?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
      },
      60_000,
      300,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- cert-manager log ---\n${certManager.tail(30)}`);
    });

    return {
      kcm,
      scheduler,
      kwok,
      certManager,
      nodeName: KWOK_NODE,
      selfSignedIssuer: SELF_SIGNED_ISSUER,
      clusterResourceNamespace: CLUSTER_RESOURCE_NAMESPACE,
      all: started,
    };
  } catch (err) {
    for (const p of started.reverse()) await p.stop();
    throw err;
  }
}
