// `npm run cluster`: a real kube-apiserver + etcd with the test CRDs for a person to play
// with, optionally with the webhook (and reconciler) registered. Runs until Ctrl-C, then
// stops everything and removes its scratch directory.
//   npm run cluster                       control plane + CRDs
//   npm run cluster -- --webhook          + sdb-tls-guard (admission only) registered
//   npm run cluster -- --webhook --reconcile   + the reconciler in the same process
//   npm run cluster -- --seed             + the worked example's state in namespace demo
import { startControlPlane } from './harness/control-plane.js';
import { seedDatabase } from './harness/cluster.js';
import { registerWebhooks, startWebhook } from './harness/webhook.js';

const args = new Set(process.argv.slice(2));
if (args.has('--help') || args.has('-h')) {
  process.stdout.write('Usage: npm run cluster -- [--webhook] [--reconcile] [--seed] [--keep]\n');
  process.exit(0);
}
const unknown = [...args].filter((a) => !['--webhook', '--reconcile', '--seed', '--keep'].includes(a));
if (unknown.length) {
  process.stderr.write(`cluster: unknown flag(s) ${unknown.join(' ')}\nUsage: npm run cluster -- [--webhook] [--reconcile] [--seed] [--keep]\n`);
  process.exit(2);
}

const cp = await startControlPlane({ keepDir: args.has('--keep') });
let stopWebhook: (() => Promise<void>) | undefined;
try {
  if (args.has('--webhook') || args.has('--reconcile')) {
    const wh = await startWebhook(cp, { reconcile: args.has('--reconcile') });
    await registerWebhooks(cp.api, wh);
    stopWebhook = wh.stop;
    process.stdout.write(`sdb-tls-guard webhook at ${wh.url} (log: ${wh.process.logFile}), registered from webhook-config/\n`);
  }
  if (args.has('--seed')) {
    await cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    await seedDatabase(cp.api, 'demo', 'state.yaml');
    process.stdout.write('seeded namespace demo with test/fixtures/worked/state.yaml (Singlestore sample-sdb with its PetSets and Ready pods, Issuers sdb-issuer and sdb-new-issuer with CAs from cert-manager)\n');
  }
} catch (err) {
  await stopWebhook?.();
  await cp.stop();
  throw err;
}
const kubectl = cp.binaries.kubectl;
process.stdout.write(
  [
    '',
    `${cp.versions}; API server at ${cp.server}; published CRDs installed.`,
    `logs: ${cp.apiserver.logFile}, ${cp.etcd.logFile}`,
    '',
    'Point kubectl at it:',
    `  export KUBECONFIG=${cp.kubeconfigPath}`,
    kubectl ? `  ${kubectl} get crds` : '  kubectl get crds     (any kubectl; SDB_WITH_KUBECTL=1 SDB_REBUILD=1 bash scripts/build-control-plane.sh builds one)',
    kubectl ? `  alias kubectl=${kubectl}` : '',
    '  kubectl apply -f test/fixtures/worked/add-tls.yaml   (after --seed)',
    '',
    'Ctrl-C stops etcd and kube-apiserver and removes the scratch directory.',
    '',
  ].join('\n'),
);
const stop = async (sig: string): Promise<void> => {
  process.stdout.write(`\n${sig}: stopping\n`);
  await stopWebhook?.();
  await cp.stop();
  process.exit(0);
};
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
setInterval(() => undefined, 1 << 30);
