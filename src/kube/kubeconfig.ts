// Where the cluster credentials come from, in kubectl's order minus the home-directory
// fallback: --kubeconfig, then $KUBECONFIG (a path list; the first file that sets
// current-context wins, first definition of a name wins), then the in-cluster service
// account. Nothing found → undefined: the server then runs without cluster rules.
// ~/.kube/config is deliberately NOT read: a webhook started on a laptop should not
// quietly judge requests against whatever cluster that file points at.
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export const IN_CLUSTER_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeConfigRequest {
  /** --kubeconfig */
  kubeconfig?: string;
  /** --context */
  context?: string;
  /** The environment (main passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** Override of the service-account token path (tests). */
  tokenPath?: string;
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** `--kubeconfig <f>`, `KUBECONFIG=<f>` or `in-cluster`, for the start-up log. */
  source: string;
  context: string;
  server: string;
}

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

function loadFile(path: string, origin: string): KubeConfig {
  if (!existsSync(path)) throw new KubeConfigError(`kubeconfig ${path} (${origin}) does not exist`);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path} (${origin}) cannot be loaded: ${(err as Error).message}`);
  }
  return kc;
}

/** kubectl's merge: the first file that names a cluster/user/context wins. */
function merge(into: KubeConfig, from: KubeConfig): void {
  if (!into.currentContext && from.currentContext) into.setCurrentContext(from.currentContext);
  for (const c of from.clusters) if (!into.clusters.some((x) => x.name === c.name)) into.addCluster(c);
  for (const u of from.users) if (!into.users.some((x) => x.name === u.name)) into.addUser(u);
  for (const c of from.contexts) if (!into.contexts.some((x) => x.name === c.name)) into.addContext(c);
}

/**
 * What client-node's loadFromCluster builds, but from the environment we were given
 * (not process.env). The token is re-read from its file, so rotated service-account
 * tokens keep working.
 */
function inClusterConfig(host: string, port: string, tokenPath: string): KubeConfig {
  const kc = new KubeConfig();
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  kc.loadFromOptions({
    clusters: [{ name: 'inCluster', server, caFile: join(dirname(tokenPath), 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: tokenPath } } }],
    contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser' }],
    currentContext: 'inClusterContext',
  });
  return kc;
}

/**
 * Load the kubeconfig, or undefined when none is configured. Throws KubeConfigError
 * for a configured one that cannot be used (missing file, bad YAML, unknown context).
 */
export function loadKubeConfig(req: KubeConfigRequest): LoadedKubeConfig | undefined {
  let kc: KubeConfig | undefined;
  let source = '';
  if (req.kubeconfig) {
    kc = loadFile(req.kubeconfig, '--kubeconfig');
    source = `--kubeconfig ${req.kubeconfig}`;
  } else if (req.env['KUBECONFIG']) {
    const files = req.env['KUBECONFIG'].split(delimiter).filter((f) => f !== '');
    const present = files.filter((f) => existsSync(f));
    const [first, ...others] = present;
    if (first === undefined) throw new KubeConfigError(`KUBECONFIG names no existing file: ${files.join(delimiter)}`);
    kc = loadFile(first, 'KUBECONFIG');
    for (const f of others) merge(kc, loadFile(f, 'KUBECONFIG'));
    source = `KUBECONFIG=${present.join(delimiter)}`;
  } else if (req.env['KUBERNETES_SERVICE_HOST'] && req.env['KUBERNETES_SERVICE_PORT'] && existsSync(req.tokenPath ?? IN_CLUSTER_TOKEN_PATH)) {
    kc = inClusterConfig(req.env['KUBERNETES_SERVICE_HOST'], req.env['KUBERNETES_SERVICE_PORT'], req.tokenPath ?? IN_CLUSTER_TOKEN_PATH);
    source = 'in-cluster service account';
  }
  if (!kc) return undefined;
  if (req.context) {
    if (!kc.getContextObject(req.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(`context ${JSON.stringify(req.context)} not found in ${source} (contexts: ${known.length ? known.join(', ') : 'none'})`);
    }
    kc.setCurrentContext(req.context);
  }
  if (!kc.getCurrentContext()) throw new KubeConfigError(`${source} sets no current-context; pass --context`);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError(`context ${JSON.stringify(kc.getCurrentContext())} of ${source} names no known cluster`);
  return { kubeConfig: kc, source, context: kc.getCurrentContext(), server: cluster.server };
}
