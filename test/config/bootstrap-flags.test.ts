// serve --bootstrap-certs flag parsing (the flags the chart's bootstrap mode passes).
import t from 'tap';
import { parseServeArgs, UsageError } from '../../src/config.js';

const env = { POD_NAMESPACE: 'guard' };

t.test('the chart bootstrap args parse into a bootstrap config', async (t) => {
  const r = parseServeArgs(
    [
      '--port=8443',
      '--cert=/tmp/certs/tls.crt',
      '--key=/tmp/certs/tls.key',
      '--reconcile=true',
      '--bootstrap-certs',
      '--bootstrap-secret=prod-sdb-tls-guard-bootstrap-certs',
      '--webhook-names=prod-sdb-tls-guard,prod-sdb-tls-guard-m',
      '--service-name=prod-sdb-tls-guard',
    ],
    env,
  );
  t.strictSame(r.config?.bootstrap, {
    secretName: 'prod-sdb-tls-guard-bootstrap-certs',
    validatingWebhook: 'prod-sdb-tls-guard',
    mutatingWebhook: 'prod-sdb-tls-guard-m',
  });
  t.equal(r.config?.namespace, 'guard');
  t.strictSame(r.config?.tls, { mode: 'files', certFile: '/tmp/certs/tls.crt', keyFile: '/tmp/certs/tls.key' });
});

t.test('defaults', async (t) => {
  const r = parseServeArgs(['--cert', 'c', '--key', 'k', '--bootstrap-certs'], env);
  t.strictSame(r.config?.bootstrap, { secretName: 'sdb-tls-guard-bootstrap-certs', validatingWebhook: 'sdb-tls-guard', mutatingWebhook: 'sdb-tls-guard' });
  t.equal(parseServeArgs(['--cert', 'c', '--key', 'k'], env).config?.bootstrap, undefined);
});

const BAD: [string, string[], RegExp][] = [
  ['with --self-signed', ['--self-signed', '--bootstrap-certs'], /cannot be combined with --self-signed/],
  ['without --cert/--key', ['--bootstrap-certs'], /serving needs TLS/],
  ['one webhook name', ['--cert', 'c', '--key', 'k', '--bootstrap-certs', '--webhook-names', 'only'], /--webhook-names takes two names/],
  ['bad secret name', ['--cert', 'c', '--key', 'k', '--bootstrap-certs', '--bootstrap-secret', 'Bad_Name'], /--bootstrap-secret must be a DNS-1123 subdomain/],
  ['secret without bootstrap', ['--cert', 'c', '--key', 'k', '--bootstrap-secret', 'x'], /only used with --bootstrap-certs/],
];

t.test('bad bootstrap flags are usage errors', async (t) => {
  for (const [name, args, msg] of BAD) {
    t.throws(() => parseServeArgs(args, env), UsageError, name);
    t.throws(() => parseServeArgs(args, env), msg, name);
  }
});
