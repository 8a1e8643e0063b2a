// Where the kubeconfig comes from: --kubeconfig, KUBECONFIG, in-cluster, or nowhere.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import t from 'tap';
import { KubeConfigError, loadKubeConfig } from '../../src/kube/kubeconfig.js';

const kubeconfig = (clusters: [string, string][], contexts: [string, string][], current?: string) =>
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...clusters.flatMap(([name, server]) => [`- name: ${name}`, '  cluster:', `    server: ${server}`]),
    'users:',
    '- name: admin',
    '  user:',
    '    token: not-a-real-token',
    'contexts:',
    ...contexts.flatMap(([name, cluster]) => [`- name: ${name}`, '  context:', `    cluster: ${cluster}`, '    user: admin']),
    ...(current ? [`current-context: ${current}`] : []),
    '',
  ].join('\n');

const dir = mkdtempSync(join(tmpdir(), 'sdb-tls-guard-kc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const A = join(dir, 'a.yaml');
const B = join(dir, 'b.yaml');
const NOCTX = join(dir, 'noctx.yaml');
const BROKEN = join(dir, 'broken.yaml');
writeFileSync(A, kubeconfig([['dev', 'https://127.0.0.1:6443'], ['prod', 'https://10.0.0.1:6443']], [['dev', 'dev'], ['prod', 'prod']], 'dev'));
writeFileSync(B, kubeconfig([['dev', 'https://shadowed:6443'], ['stage', 'https://10.0.0.2:6443']], [['stage', 'stage']], 'stage'));
writeFileSync(NOCTX, kubeconfig([['dev', 'https://127.0.0.1:6443']], [['dev', 'dev']]));
writeFileSync(BROKEN, 'clusters: [unclosed');

/** loadKubeConfig for a case that has a kubeconfig: undefined there is a failure. */
function loaded(opts: Parameters<typeof loadKubeConfig>[0]) {
  const k = loadKubeConfig(opts);
  if (!k) throw new Error('no kubeconfig loaded');
  return k;
}

t.test('nothing configured → undefined (no ~/.kube/config fallback)', async (t) => {
  t.equal(loadKubeConfig({ env: { HOME: dir } }), undefined);
  t.equal(loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, tokenPath: join(dir, 'no-token') }), undefined, 'in-cluster needs the token file');
});

t.test('--kubeconfig, with and without --context', async (t) => {
  const a = loaded({ kubeconfig: A, env: { KUBECONFIG: B } });
  t.strictSame({ source: a.source, context: a.context, server: a.server }, { source: `--kubeconfig ${A}`, context: 'dev', server: 'https://127.0.0.1:6443' }, 'the flag wins over KUBECONFIG');
  const p = loaded({ kubeconfig: A, context: 'prod', env: {} });
  t.strictSame({ context: p.context, server: p.server }, { context: 'prod', server: 'https://10.0.0.1:6443' });
});

t.test('KUBECONFIG path list: first current-context and first definition win', async (t) => {
  const k = loaded({ env: { KUBECONFIG: [join(dir, 'missing.yaml'), A, B].join(delimiter) } });
  t.equal(k.source, `KUBECONFIG=${A}${delimiter}${B}`);
  t.equal(k.context, 'dev');
  t.equal(k.server, 'https://127.0.0.1:6443', 'cluster dev from the first file');
  const s = loaded({ env: { KUBECONFIG: [A, B].join(delimiter) }, context: 'stage' });
  t.equal(s.server, 'https://10.0.0.2:6443', 'contexts of later files are usable');
});

t.test('in-cluster service account, from the given environment', async (t) => {
  const token = join(dir, 'token');
  writeFileSync(token, 'sa-token');
  const k = loaded({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, tokenPath: token });
  t.strictSame({ source: k.source, context: k.context, server: k.server }, { source: 'in-cluster service account', context: 'inClusterContext', server: 'https://[fd00::1]:443' });
  t.equal(k.kubeConfig.getCurrentCluster()?.caFile, join(dir, 'ca.crt'));
});

const BAD: [string, Parameters<typeof loadKubeConfig>[0], string][] = [
  ['missing --kubeconfig file', { kubeconfig: join(dir, 'nope.yaml'), env: {} }, `kubeconfig ${join(dir, 'nope.yaml')} (--kubeconfig) does not exist`],
  ['KUBECONFIG without any existing file', { env: { KUBECONFIG: join(dir, 'x.yaml') } }, `KUBECONFIG names no existing file: ${join(dir, 'x.yaml')}`],
  ['unknown context', { kubeconfig: A, context: 'qa', env: {} }, `context "qa" not found in --kubeconfig ${A} (contexts: dev, prod)`],
  ['no current-context', { kubeconfig: NOCTX, env: {} }, `--kubeconfig ${NOCTX} sets no current-context; pass --context`],
];

t.test('configured but unusable → KubeConfigError naming the problem', async (t) => {
  for (const [name, req, message] of BAD) t.throws(() => loadKubeConfig(req), new KubeConfigError(message), name);
  t.throws(() => loadKubeConfig({ kubeconfig: BROKEN, env: {} }), { name: 'KubeConfigError', message: new RegExp(`^kubeconfig ${BROKEN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(--kubeconfig\\) cannot be loaded: `) }, 'broken YAML');
});
