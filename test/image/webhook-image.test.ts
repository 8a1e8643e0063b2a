// test/e2e/harness/webhook-image.ts: the webhook from the image with EXACTLY the
// arguments, environment and files of the chart's rendered Deployment (serving
// certificate and key at /certs, the policy at /policy), only the port moved to a free
// one on the host network. No API server here (reconcile=false, no kubeconfig): the e2e
// install tier adds that.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { generateSelfSigned } from '../../src/server/selfsigned.js';
import { startWebhookImage } from '../e2e/harness/webhook-image.js';
import { get, render } from '../install/helm.js';

// The first call of imageInfo() rebuilds a stale archive (1-2 min on this machine's two
// cores) before the tests run: give this file more than .taprc's 120 s.
t.setTimeout(10 * 60_000);

/** The part of an AdmissionReview answer read here. */
interface ReviewAnswer {
  response?: { allowed?: boolean };
}

function post(url: string, ca: string, body: unknown): Promise<{ status: number; body: ReviewAnswer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as ReviewAnswer }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(JSON.stringify(body));
  });
}

function review(uid: string, issuerKind: string) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      operation: 'CREATE',
      kind: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' },
      resource: { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' },
      namespace: 'demo',
      name: 'sdbops-add-tls',
      userInfo: { username: 'alice' },
      object: {
        apiVersion: 'ops.kubedb.com/v1alpha1',
        kind: 'SinglestoreOpsRequest',
        metadata: { name: 'sdbops-add-tls', namespace: 'demo' },
        spec: {
          type: 'ReconfigureTLS',
          databaseRef: { name: 'sample-sdb' },
          apply: 'IfReady',
          timeout: '10m',
          tls: { issuerRef: { apiGroup: 'cert-manager.io', kind: issuerKind, name: 'sdb-ca' } },
        },
      },
    },
  };
}

t.test("the image serves with the rendered Deployment's args, env and mounted files", async (t) => {
  // The chart as a platform engineer installs it, webhook-only (no API server here), with a policy.
  const objects = render({ namespace: 'guard', set: ['reconcile=false', 'policy.allowedIssuers[0].kind=ClusterIssuer', 'policy.allowedIssuers[0].name=sdb-ca'] });
  const deployment = get(objects, 'Deployment', 'sdb-tls-guard');
  const container = deployment.spec?.template.spec?.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  const policyMap = get(objects, 'ConfigMap', 'sdb-tls-guard-policy');
  const { args } = container;
  if (!args) throw new Error('the Deployment container has no args');
  t.ok(args.includes('--cert=/certs/tls.crt') && args.includes('--policy=/policy/policy.yaml'), `chart args: ${args.join(' ')}`);

  const dir = mkdtempSync(join(tmpdir(), 'sdb-image-chart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The serving Secret cert-manager would write (tls.crt, tls.key, ca.crt).
  const ss = await generateSelfSigned({ namespace: 'guard', serviceName: 'sdb-tls-guard' });
  writeFileSync(join(dir, 'tls.crt'), ss.cert);
  writeFileSync(join(dir, 'tls.key'), ss.key, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), ss.caCert);
  // The policy ConfigMap volume: a directory, bind-mounted as it is (dirs), readable by 65532.
  const policyDir = join(dir, 'policy');
  mkdirSync(policyDir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(join(policyDir, 'policy.yaml'), String(policyMap.data?.['policy.yaml']), { mode: 0o644 });

  // The Deployment's env: fieldRefs resolved as the kubelet would.
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = e.value ?? (path === 'metadata.namespace' ? 'guard' : path === 'metadata.name' ? 'sdb-tls-guard-7d9f-abcde' : '');
  }
  const mounts = new Map((container.volumeMounts ?? []).map((m): [string, string] => [m.name, m.mountPath]));
  t.equal(mounts.get('certs'), '/certs');
  t.equal(mounts.get('policy'), '/policy');
  const certsAt = mounts.get('certs');
  const policyAt = mounts.get('policy');
  if (certsAt === undefined || policyAt === undefined) throw new Error('the Deployment mounts no certs or no policy volume');
  const wh = await startWebhookImage({
    args,
    env,
    files: [
      { source: join(dir, 'tls.crt'), target: `${certsAt}/tls.crt` },
      { source: join(dir, 'tls.key'), target: `${certsAt}/tls.key` },
      { source: join(dir, 'ca.crt'), target: `${certsAt}/ca.crt` },
    ],
    dirs: [{ source: policyDir, target: policyAt }],
    caPem: ss.caCert,
    ready: '/readyz',
  });
  t.teardown(() => wh.stop());
  t.not(wh.port, 8443, 'the port is a free one, not the chart default');
  t.ok(wh.command.includes(`--port=${wh.port}`), 'passed as --port');
  t.strictSame(
    wh.command.slice(wh.command.indexOf('serve')).filter((a) => !a.startsWith('--port=') && a !== '--host=127.0.0.1'),
    args.filter((a) => !a.startsWith('--port=')),
    'every other argument exactly as the Deployment gives it',
  );

  const allowed = await post(`${wh.url}/validate`, ss.caCert, review('u-allowed', 'ClusterIssuer'));
  t.equal(allowed.body.response?.allowed, true, 'an allowed issuer is admitted');
  const denied = await post(`${wh.url}/validate`, ss.caCert, review('u-denied', 'Issuer'));
  t.equal(denied.body.response?.allowed, false, 'the mounted policy denies another issuer');
  t.match(JSON.stringify(denied.body.response), /allowed-issuers/);

  const serving = wh.logs().find((l) => l['msg'] === 'serving certificate loaded');
  t.ok(serving, 'the serving certificate came from the mounted files');
  await wh.stop();
  await wh.stop(); // idempotent
  t.ok(wh.logs().length > 0, 'the log is kept after stop');
  const code = await wh.exited;
  t.ok(code === 0 || code === 143 || code === 'SIGTERM', `the container stopped (${code})`);
});

t.test('a container that does not come up fails with its output', async (t) => {
  await t.rejects(startWebhookImage({ args: ['serve', '--cert=/certs/none.crt', '--key=/certs/none.key'], timeoutMs: 20_000 }), /none\.crt/);
});

