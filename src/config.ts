// `sdb-tls-guard serve` flags → Config. Besides main this is the only module that
// reads the environment, and only through the `env` argument it is given.
import { parseGoDuration } from './core/rules/duration.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type TlsSource = { mode: 'self-signed'; caOut?: string } | { mode: 'files'; certFile: string; keyFile: string };

export interface ServeConfig {
  port: number;
  host: string;
  tls: TlsSource;
  /** --client-ca: only clients with a certificate from this CA may connect. */
  clientCaFile?: string;
  tlsMinVersion: '1.2' | '1.3';
  kubeconfig?: string;
  context?: string;
  policyFile?: string;
  /** Value written by default-timeout (a Go duration). */
  defaultTimeout: string;
  reconcile: boolean;
  logLevel: LogLevel;
  /** Namespace and Service name for the self-signed certificate's DNS names. */
  namespace: string;
  serviceName: string;
  /** Largest request body in bytes. */
  bodyLimit: number;
  /** After SIGTERM: keep serving (with /readyz 503) this long before closing, in ms. */
  shutdownDelayMs: number;
  /** --bootstrap-certs: keep a CA and serving certificate in a Secret, write the pair to
   *  --cert/--key and patch the caBundle of these webhook configurations. */
  bootstrap?: BootstrapCertsConfig;
}

export interface BootstrapCertsConfig {
  secretName: string;
  validatingWebhook: string;
  mutatingWebhook: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const SERVE_USAGE = `Usage: sdb-tls-guard serve [flags]

Serve the admission webhook over HTTPS (and run the reconciler unless --reconcile=false).

TLS (one of):
  --self-signed               generate a CA and a serving certificate at start-up
  --cert FILE --key FILE      serving certificate and key (PEM); re-read when they change
  --ca-out FILE               with --self-signed: write the CA (PEM) here instead of stderr
  --client-ca FILE            require API-server client certificates signed by this CA
  --tls-min-version 1.2|1.3   lowest TLS version accepted (default 1.2)
  --namespace NS              namespace in the self-signed DNS names (default $POD_NAMESPACE or sdb-tls-guard)
  --service-name NAME         Service name in the self-signed DNS names (default sdb-tls-guard)
  --bootstrap-certs           keep a CA and serving certificate in a Secret of --namespace, renew
                              them, write the pair to --cert/--key and patch the webhooks' caBundle
  --bootstrap-secret NAME     that Secret (default sdb-tls-guard-bootstrap-certs)
  --webhook-names V,M         Validating,Mutating webhook configuration names to patch
                              (default sdb-tls-guard,sdb-tls-guard)

Serving:
  --port N                    HTTPS port (default 8443)
  --host ADDR                 listen address (default 0.0.0.0)
  --body-limit BYTES          largest request body, e.g. 3Mi (default 3Mi)
  --shutdown-delay DURATION   after SIGTERM keep serving, /readyz failing, this long before
                              closing, so endpoints drop the pod first (default 0s; 5s in a cluster)
  --log-level LEVEL           fatal|error|warn|info|debug|trace|silent (default info)

Cluster and rules:
  --kubeconfig FILE           kubeconfig (default $KUBECONFIG, then the in-cluster service account;
                              with none, cluster rules are not evaluated)
  --context NAME              kubeconfig context
  --policy FILE               policy file (YAML) enabling the policy rules
  --default-timeout DURATION  spec.timeout written by the defaulter (default 10m)
  --reconcile[=true|false]    run the reconciler (default true)
  -h, --help                  show this help
`;

const BYTE_UNITS = new Map([['', 1], ['Ki', 1024], ['Mi', 1024 ** 2], ['Gi', 1024 ** 3], ['k', 1000], ['K', 1000], ['M', 1000 ** 2], ['G', 1000 ** 3]]);

/** Bytes from "3145728", "3Mi", "512Ki", "1M". */
export function parseByteSize(text: string): number | undefined {
  const m = /^([0-9]+)(Ki|Mi|Gi|k|K|M|G)?$/.exec(text);
  if (!m) return undefined;
  const mult = BYTE_UNITS.get(m[2] ?? '');
  return mult === undefined ? undefined : Number(m[1]) * mult;
}

const VALUE_FLAGS = new Set([
  'port',
  'host',
  'cert',
  'key',
  'ca-out',
  'client-ca',
  'tls-min-version',
  'kubeconfig',
  'context',
  'policy',
  'default-timeout',
  'log-level',
  'namespace',
  'service-name',
  'body-limit',
  'shutdown-delay',
  'bootstrap-secret',
  'webhook-names',
]);
const BOOL_FLAGS = new Set(['self-signed', 'reconcile', 'help', 'bootstrap-certs']);

function parseBool(flag: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new UsageError(`--${flag} takes true or false, got ${JSON.stringify(v)}`);
}

export interface ParsedServeArgs {
  help: boolean;
  config?: ServeConfig;
}

/** Parse `serve`'s arguments (without the word `serve`). Throws UsageError. */
export function parseServeArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedServeArgs {
  const values = new Map<string, string>();
  const bools = new Map<string, boolean>();
  const args = argv.values();
  for (const arg of args) {
    if (arg === '-h') {
      bools.set('help', true);
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: serve takes flags only`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name.startsWith('no-') && BOOL_FLAGS.has(name.slice(3)) && inline === undefined) {
      bools.set(name.slice(3), false);
      continue;
    }
    if (BOOL_FLAGS.has(name)) {
      bools.set(name, inline === undefined ? true : parseBool(name, inline));
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown flag --${name}`);
    let v = inline;
    if (v === undefined) {
      const next = args.next(); // the flag's value is the next argument
      v = next.done ? undefined : next.value;
      if (v === undefined || v.startsWith('--')) throw new UsageError(`flag --${name} needs a value`);
    }
    if (v === '') throw new UsageError(`flag --${name} needs a non-empty value`);
    name = name.trim();
    values.set(name, v);
  }
  if (bools.get('help')) return { help: true };

  const portText = values.get('port') ?? '8443';
  const port = /^[0-9]+$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got ${JSON.stringify(portText)}`);

  const selfSigned = bools.get('self-signed') ?? false;
  const cert = values.get('cert');
  const key = values.get('key');
  let tls: TlsSource;
  if (selfSigned) {
    if (cert || key) throw new UsageError('--self-signed cannot be combined with --cert/--key');
    const caOut = values.get('ca-out');
    tls = { mode: 'self-signed', ...(caOut ? { caOut } : {}) };
  } else {
    if (values.has('ca-out')) throw new UsageError('--ca-out is only used with --self-signed');
    if (!cert && !key) throw new UsageError('serving needs TLS: pass --cert FILE --key FILE, or --self-signed for local use');
    if (!cert) throw new UsageError('--key needs --cert');
    if (!key) throw new UsageError('--cert needs --key');
    tls = { mode: 'files', certFile: cert, keyFile: key };
  }

  const minVersion = values.get('tls-min-version') ?? '1.2';
  if (minVersion !== '1.2' && minVersion !== '1.3') throw new UsageError(`--tls-min-version must be 1.2 or 1.3, got ${JSON.stringify(minVersion)}`);

  const defaultTimeout = values.get('default-timeout') ?? '10m';
  const parsedTimeout = parseGoDuration(defaultTimeout);
  if (!parsedTimeout.ok || parsedTimeout.ns <= 0n) throw new UsageError(`--default-timeout must be a positive Go duration such as 10m or 1h30m, got ${JSON.stringify(defaultTimeout)}`);

  const logLevel = values.get('log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);

  const shutdownDelayText = values.get('shutdown-delay') ?? '0s';
  const shutdownDelay = parseGoDuration(shutdownDelayText);
  if (!shutdownDelay.ok || shutdownDelay.ns < 0n || shutdownDelay.ns > 300_000_000_000n) {
    throw new UsageError(`--shutdown-delay must be a Go duration from 0s to 5m such as 5s, got ${JSON.stringify(shutdownDelayText)}`);
  }

  const bodyLimitText = values.get('body-limit') ?? '3Mi';
  const bodyLimit = parseByteSize(bodyLimitText);
  if (bodyLimit === undefined || bodyLimit < 1024) throw new UsageError(`--body-limit must be a byte size of at least 1024 such as 3Mi, got ${JSON.stringify(bodyLimitText)}`);

  const namespace = values.get('namespace') ?? env['POD_NAMESPACE'] ?? 'sdb-tls-guard';
  const serviceName = values.get('service-name') ?? 'sdb-tls-guard';
  const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (!dns1123Label.test(namespace) || namespace.length > 63) throw new UsageError(`--namespace must be a DNS-1123 label, got ${JSON.stringify(namespace)}`);
  if (!dns1123Label.test(serviceName) || serviceName.length > 63) throw new UsageError(`--service-name must be a DNS-1123 label, got ${JSON.stringify(serviceName)}`);

  let bootstrap: BootstrapCertsConfig | undefined;
  if (bools.get('bootstrap-certs')) {
    if (tls.mode !== 'files') throw new UsageError('--bootstrap-certs writes the serving certificate to --cert/--key; it cannot be combined with --self-signed');
    const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    const secretName = values.get('bootstrap-secret') ?? 'sdb-tls-guard-bootstrap-certs';
    if (!dns1123Subdomain.test(secretName) || secretName.length > 253) throw new UsageError(`--bootstrap-secret must be a DNS-1123 subdomain, got ${JSON.stringify(secretName)}`);
    const names = (values.get('webhook-names') ?? 'sdb-tls-guard,sdb-tls-guard').split(',');
    const [validatingWebhook, mutatingWebhook] = names;
    if (names.length !== 2 || validatingWebhook === undefined || mutatingWebhook === undefined || names.some((n) => !dns1123Subdomain.test(n) || n.length > 253)) {
      throw new UsageError(`--webhook-names takes two names, validating then mutating webhook configuration, e.g. sdb-tls-guard,sdb-tls-guard; got ${JSON.stringify(values.get('webhook-names'))}`);
    }
    bootstrap = { secretName, validatingWebhook, mutatingWebhook };
  } else if (values.has('bootstrap-secret') || values.has('webhook-names')) {
    throw new UsageError('--bootstrap-secret and --webhook-names are only used with --bootstrap-certs');
  }

  const clientCaFile = values.get('client-ca');
  const kubeconfig = values.get('kubeconfig');
  const context = values.get('context');
  const policyFile = values.get('policy');
  const config: ServeConfig = {
    port,
    host: values.get('host') ?? '0.0.0.0',
    tls,
    tlsMinVersion: minVersion,
    defaultTimeout,
    reconcile: bools.get('reconcile') ?? true,
    logLevel: logLevel as LogLevel,
    namespace,
    serviceName,
    bodyLimit,
    shutdownDelayMs: Number(shutdownDelay.ns / 1_000_000n),
    ...(clientCaFile ? { clientCaFile } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(context ? { context } : {}),
    ...(policyFile ? { policyFile } : {}),
    ...(bootstrap ? { bootstrap } : {}),
  };
  return { help: false, config };
}
