// `serve` flags → ServeConfig.
import t from 'tap';
import { parseByteSize, parseServeArgs, UsageError, type ServeConfig } from '../../src/config.js';

const cfg = (argv: string[], env: Record<string, string> = {}): ServeConfig => {
  const p = parseServeArgs(argv, env);
  if (!p.config) throw new Error('no config');
  return p.config;
};

t.test('defaults', async (t) => {
  t.strictSame(cfg(['--self-signed']), {
    port: 8443,
    host: '0.0.0.0',
    tls: { mode: 'self-signed' },
    tlsMinVersion: '1.2',
    defaultTimeout: '10m',
    reconcile: true,
    logLevel: 'info',
    namespace: 'sdb-tls-guard',
    serviceName: 'sdb-tls-guard',
    bodyLimit: 3 * 1024 * 1024,
    shutdownDelayMs: 0,
  });
});

t.test('every flag, in both spellings', async (t) => {
  t.strictSame(
    cfg(
      [
        '--port=9443',
        '--host',
        '127.0.0.1',
        '--cert',
        '/tls/tls.crt',
        '--key=/tls/tls.key',
        '--client-ca',
        '/tls/ca.crt',
        '--tls-min-version=1.3',
        '--kubeconfig',
        '/k/config',
        '--context',
        'kind-dev',
        '--policy',
        '/etc/policy.yaml',
        '--default-timeout',
        '1h30m',
        '--reconcile=false',
        '--log-level',
        'debug',
        '--namespace',
        'guard',
        '--service-name',
        'webhook',
        '--body-limit',
        '512Ki',
        '--shutdown-delay=5s',
      ],
      { POD_NAMESPACE: 'ignored' },
    ),
    {
      port: 9443,
      host: '127.0.0.1',
      tls: { mode: 'files', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
      tlsMinVersion: '1.3',
      defaultTimeout: '1h30m',
      reconcile: false,
      logLevel: 'debug',
      namespace: 'guard',
      serviceName: 'webhook',
      bodyLimit: 512 * 1024,
      shutdownDelayMs: 5000,
      clientCaFile: '/tls/ca.crt',
      kubeconfig: '/k/config',
      context: 'kind-dev',
      policyFile: '/etc/policy.yaml',
    },
  );
});

t.test('booleans and the environment', async (t) => {
  t.equal(cfg(['--self-signed', '--no-reconcile']).reconcile, false);
  t.equal(cfg(['--self-signed', '--reconcile']).reconcile, true);
  t.equal(cfg(['--self-signed=true', '--reconcile=0']).reconcile, false);
  t.strictSame(cfg(['--self-signed', '--ca-out', '/tmp/ca.pem']).tls, { mode: 'self-signed', caOut: '/tmp/ca.pem' });
  t.equal(cfg(['--self-signed'], { POD_NAMESPACE: 'from-env' }).namespace, 'from-env');
  t.equal(cfg(['--self-signed', '--port', '0']).port, 0, 'port 0 picks a free port');
  t.strictSame(parseServeArgs(['--help'], {}), { help: true });
  t.strictSame(parseServeArgs(['-h'], {}), { help: true });
  t.throws(() => parseServeArgs(['-h', '--bogus'], {}), new UsageError('unknown flag --bogus'), 'a bad flag wins over -h');
});

const BAD: [string, string[], string][] = [
  ['no TLS source', [], 'serving needs TLS: pass --cert FILE --key FILE, or --self-signed for local use'],
  ['cert without key', ['--cert', 'c'], '--cert needs --key'],
  ['key without cert', ['--key', 'k'], '--key needs --cert'],
  ['both TLS sources', ['--self-signed', '--cert', 'c', '--key', 'k'], '--self-signed cannot be combined with --cert/--key'],
  ['ca-out without self-signed', ['--cert', 'c', '--key', 'k', '--ca-out', 'x'], '--ca-out is only used with --self-signed'],
  ['unknown flag', ['--self-signed', '--prot', '1'], 'unknown flag --prot'],
  ['positional', ['--self-signed', 'extra'], 'unexpected argument "extra": serve takes flags only'],
  ['missing value', ['--self-signed', '--port'], 'flag --port needs a value'],
  ['value is a flag', ['--port', '--self-signed'], 'flag --port needs a value'],
  ['empty value', ['--self-signed', '--port='], 'flag --port needs a non-empty value'],
  ['port not a number', ['--self-signed', '--port', 'https'], '--port must be a number from 0 to 65535, got "https"'],
  ['port too big', ['--self-signed', '--port', '70000'], '--port must be a number from 0 to 65535, got "70000"'],
  ['negative port', ['--self-signed', '--port', '-1'], '--port must be a number from 0 to 65535, got "-1"'],
  ['tls 1.1', ['--self-signed', '--tls-min-version', '1.1'], '--tls-min-version must be 1.2 or 1.3, got "1.1"'],
  ['bad timeout', ['--self-signed', '--default-timeout', '10 minutes'], '--default-timeout must be a positive Go duration such as 10m or 1h30m, got "10 minutes"'],
  ['zero timeout', ['--self-signed', '--default-timeout', '0s'], '--default-timeout must be a positive Go duration such as 10m or 1h30m, got "0s"'],
  ['negative timeout', ['--self-signed', '--default-timeout', '-5m'], '--default-timeout must be a positive Go duration such as 10m or 1h30m, got "-5m"'],
  ['bad log level', ['--self-signed', '--log-level', 'loud'], '--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
  ['bad bool', ['--self-signed', '--reconcile=maybe'], '--reconcile takes true or false, got "maybe"'],
  ['tiny body limit', ['--self-signed', '--body-limit', '10'], '--body-limit must be a byte size of at least 1024 such as 3Mi, got "10"'],
  ['bad body limit', ['--self-signed', '--body-limit', '3MB'], '--body-limit must be a byte size of at least 1024 such as 3Mi, got "3MB"'],
  ['negative shutdown delay', ['--self-signed', '--shutdown-delay', '-1s'], '--shutdown-delay must be a Go duration from 0s to 5m such as 5s, got "-1s"'],
  ['long shutdown delay', ['--self-signed', '--shutdown-delay', '10m'], '--shutdown-delay must be a Go duration from 0s to 5m such as 5s, got "10m"'],
  ['bad namespace', ['--self-signed', '--namespace', 'Demo_NS'], '--namespace must be a DNS-1123 label, got "Demo_NS"'],
  ['bad service name', ['--self-signed', '--service-name', 'a.b'], '--service-name must be a DNS-1123 label, got "a.b"'],
];

t.test('bad flags are UsageErrors with a clear message', async (t) => {
  for (const [name, argv, message] of BAD) {
    t.throws(() => parseServeArgs(argv, {}), new UsageError(message), name);
  }
});

t.test('byte sizes', async (t) => {
  t.equal(parseByteSize('3145728'), 3145728);
  t.equal(parseByteSize('3Mi'), 3145728);
  t.equal(parseByteSize('1Gi'), 1024 ** 3);
  t.equal(parseByteSize('2k'), 2000);
  t.equal(parseByteSize('1.5Mi'), undefined);
  t.equal(parseByteSize(''), undefined);
});
