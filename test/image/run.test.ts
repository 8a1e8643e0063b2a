// The image tier: the archive of `npm run image`, loaded into podman (Debian's, installed
// by scripts/ensure-podman.sh) and run by a real OCI runtime (runc) with a read-only root
// filesystem, as user 65532, with no capabilities, on the host network. When podman
// cannot be installed or the image cannot be built, these tests FAIL with the reason.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import t from 'tap';
import { ensureImageLoaded, podman, runImage, startWebhookImage } from '../e2e/harness/webhook-image.js';
import { REPO_ROOT } from '../e2e/harness/paths.js';

// The first call of imageInfo() rebuilds a stale archive (1-2 min on this machine's two
// cores) before the tests run: give this file more than .taprc's 120 s.
t.setTimeout(10 * 60_000);

const FIXTURES = join(REPO_ROOT, 'test/fixtures');

interface Answer {
  status: number;
  body: string;
}

/** GET `url`, or POST `body` as JSON when given, trusting `ca`. */
function call(url: string, ca: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const opts = body === undefined ? { ca, timeout: 10_000 } : { method: 'POST', ca, headers: { 'content-type': 'application/json' }, timeout: 10_000 };
    const req = request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

t.test('serve --self-signed from the image: probes and real AdmissionReviews', async (t) => {
  const info = await ensureImageLoaded();
  t.comment(`image ${info.reference} ${info.digest}`);
  const wh = await startWebhookImage({ args: ['serve', '--self-signed'], ready: '/healthz' });
  t.teardown(() => wh.stop());
  const ca = wh.caPem;
  t.ok(ca, 'the container printed its self-signed CA');
  if (ca === undefined) return;

  const health = await call(`${wh.url}/healthz`, ca);
  t.equal(health.status, 200, `/healthz: ${health.body}`);
  const ready = await call(`${wh.url}/readyz`, ca);
  t.equal(ready.status, 200, `/readyz: ${ready.body}`);
  t.match(ready.body, /not evaluated/i, '/readyz says the cluster rules are not evaluated (no kubeconfig in the container)');

  const denied = await call(`${wh.url}/validate`, ca, readFileSync(join(FIXTURES, 'admission/v1-create-denied.json'), 'utf8'));
  t.equal(denied.status, 200);
  const dr = JSON.parse(denied.body) as { response: { uid: string; allowed: boolean; status?: { code?: number; details?: { causes?: unknown[] } } } };
  t.equal(dr.response.allowed, false, 'the bad request is denied');
  t.equal(dr.response.status?.code, 422);
  t.equal(dr.response.status?.details?.causes?.length, 3, 'alias, duration and timeout causes');

  const allowed = await call(`${wh.url}/validate`, ca, readFileSync(join(FIXTURES, 'admission/v1-create-allowed.json'), 'utf8'));
  t.equal((JSON.parse(allowed.body) as { response?: { allowed?: boolean } }).response?.allowed, true, 'the good request is allowed');

  // The container as the runtime runs it: user, capabilities, read-only root.
  const inspect = podman(['container', 'inspect', '--format', '{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}|{{.HostConfig.NetworkMode}}|{{json .EffectiveCaps}}', wh.container]);
  t.equal(inspect.status, 0, inspect.stderr);
  const [user, readOnly, network, caps] = inspect.stdout.trim().split('|');
  t.equal(user, '65532:65532');
  t.equal(readOnly, 'true');
  t.equal(network, 'host');
  t.ok(caps === 'null' || caps === '[]', `no effective capabilities (${String(caps)})`);
  // user/group are named from the image's /etc/passwd (nonroot = 65532); huser is the
  // uid on this machine (no user namespace: the same number).
  const top = podman(['top', wh.container, 'user', 'group', 'huser', 'capeff', 'args']);
  t.equal(top.status, 0, top.stderr);
  t.match(top.stdout, /nonroot\s+nonroot\s+65532\s+none\s+\/nodejs\/bin\/node \/app\/dist\/bundle\/sdb-tls-guard\.mjs serve/, `podman top:\n${top.stdout}`);

  await wh.stop();
  t.ok(wh.logs().some((l) => l['msg'] === 'sdb-tls-guard serving'), 'the serving log line');
});

t.test('check reads a mounted manifest: exit 1 on a denial, 0 when allowed', async (t) => {
  const bad = await runImage(['check', '/work/ops.yaml'], { files: [{ source: join(FIXTURES, 'cli/cases/static-bad/ops.yaml'), target: '/work/ops.yaml' }] });
  t.equal(bad.status, 1, `exit status of check on a denied request (stderr: ${bad.stderr})`);
  t.match(bad.stdout, /certificate-alias|Unsupported value/, bad.stdout);
  const good = await runImage(['check', '/work/ops.yaml'], { files: [{ source: join(FIXTURES, 'worked/add-tls.yaml'), target: '/work/ops.yaml' }] });
  t.equal(good.status, 0, `exit status of check on an allowed request:\n${good.stdout}${good.stderr}`);
  const missing = await runImage(['check', '/work/none.yaml']);
  t.equal(missing.status, 2, 'an unreadable path is exit 2');
});

t.test('the root filesystem is read-only to the app; /tmp is the one writable place', async (t) => {
  const r = await runImage(['serve', '--self-signed', '--port=0', '--host=127.0.0.1', '--ca-out=/app/ca.pem']);
  t.not(r.status, 0, 'serve stops at start-up when it cannot write --ca-out under /app');
  t.match(`${r.stdout}${r.stderr}`, /EROFS|read-only/i, `${r.stdout}${r.stderr}`);
  const wh = await startWebhookImage({ args: ['serve', '--self-signed', '--ca-out=/tmp/ca.pem'], ready: '/healthz' });
  t.teardown(() => wh.stop());
  // After the stop: the service buffers its log lines (up to LOG_FLUSH_MS) and flushes them
  // when it shuts down; the bundle starts fast enough to answer before the first flush.
  await wh.stop();
  t.ok(wh.logs().some((l) => l['caOut'] === '/tmp/ca.pem'), 'the CA is written to the /tmp tmpfs');
});

t.test('the image has no shell to run', async (t) => {
  for (const sh of ['/bin/sh', '/bin/bash', '/usr/bin/env']) {
    const r = await runImage(['-c', 'true'], { podmanArgs: [`--entrypoint=${sh}`] });
    t.not(r.status, 0, `${sh} does not run`);
    t.match(r.stderr, /no such file|not found/i, r.stderr);
  }
});
