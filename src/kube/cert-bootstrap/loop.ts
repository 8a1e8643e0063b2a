// Bootstrap certificate mode (`serve --bootstrap-certs`): the service keeps its own CA
// and serving certificate in a Secret of its namespace, renews them well before expiry,
// writes the serving pair to the files the HTTPS server re-reads, and patches the
// caBundle of its two webhook configurations. Every replica runs this loop; the Secret's
// resourceVersion (optimistic concurrency) decides which replica's new certificate wins,
// and the losers adopt it on a fresh read, so all replicas serve the same pair.
//
// Decisions (when to renew, what the bundle holds) are pure: src/core/cert-renewal.ts.
// The loop is here; its ports are ./ports.ts, X.509 reading ./x509.ts, certificate
// making ./maker.ts, the file writer ./files.ts, the client-node ports ./client.ts.
import {
  DEFAULT_RENEWAL,
  bundlePem,
  caValidity,
  checkRenewalConfig,
  nextCheckAt,
  planRenewal,
  previousAfter,
  servingValidity,
  type RenewalConfig,
} from '../../core/cert-renewal.js';
import { isConflict } from '../ports.js';
import { selfsignedMaker } from './maker.js';
import {
  SECRET_KEYS,
  type BootstrapLogger,
  type BootstrapSecretPort,
  type CertFileWriter,
  type CertMaker,
  type JsonPatchOp,
  type SecretObject,
  type WebhookConfigObject,
  type WebhookConfigPort,
  type WebhookKind,
} from './ports.js';
import { inspect, parseCert, readMaterial, type Material } from './x509.js';

export interface CertBootstrapDeps {
  /** Namespace of the Secret (the pod's own: POD_NAMESPACE). */
  namespace: string;
  secretName: string;
  /** Names of the ValidatingWebhookConfiguration and MutatingWebhookConfiguration. */
  webhookConfigurations: { validating: string; mutating: string };
  /** The Service in front of the pods; its DNS names go into the serving certificate. */
  serviceName: string;
  secrets: BootstrapSecretPort;
  webhooks: WebhookConfigPort;
  files: CertFileWriter;
  logger: BootstrapLogger;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Overrides of DEFAULT_RENEWAL (lifetimes, fraction, overlap). */
  renewal?: Partial<Omit<RenewalConfig, 'dnsNames'>>;
  /** Extra SANs (e.g. 127.0.0.1 for a webhook reached by URL in tests). */
  extraDnsNames?: string[];
  ipAddresses?: string[];
  /** Look again at least this often (other replicas' writes, deleted Secret). Default 5 min. */
  resyncMs?: number;
  /** First retry delay after an error, doubled up to maxRetryMs. Defaults 2 s / 60 s. */
  retryMs?: number;
  maxRetryMs?: number;
  maker?: CertMaker;
  /** Timer functions (tests pass fakes). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface CertBootstrap {
  /** Resolves once the serving pair has been written to the files the first time. */
  ready: Promise<void>;
  /** Run one pass now (also what the timer runs); resolves with when the next is due. */
  syncNow(): Promise<SyncResult>;
  stop(): Promise<void>;
}

export interface SyncResult {
  /** The Secret was created or replaced by this replica. */
  wroteSecret: boolean;
  wroteFiles: boolean;
  /** Webhook configurations whose caBundle this pass patched. */
  patched: WebhookKind[];
  /** Webhook configurations that do not exist (yet). */
  missing: WebhookKind[];
  /** When the next pass is due (ms since the epoch). */
  nextAt: number;
}

/** DNS names a Service is reached by from inside the cluster. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  return [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The JSON Patch that sets `caBundle` on every webhook of a configuration whose bundle
 *  differs; each `add` is guarded by a `test` of the webhook's name at that index, so a
 *  configuration rewritten meanwhile makes the patch fail instead of hitting the wrong
 *  entry. Empty when nothing differs. */
export function caBundlePatch(config: WebhookConfigObject, caBundle: string): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (w.clientConfig?.caBundle === caBundle) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
    ops.push({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle });
  });
  return ops;
}

const MAX_CONFLICTS = 5;

export function startCertBootstrap(deps: CertBootstrapDeps): CertBootstrap {
  const cfg: RenewalConfig = {
    ...DEFAULT_RENEWAL,
    ...deps.renewal,
    dnsNames: [...serviceDnsNames(deps.serviceName, deps.namespace), ...(deps.extraDnsNames ?? [])],
  };
  checkRenewalConfig(cfg);
  const maker = deps.maker ?? selfsignedMaker;
  const resyncMs = deps.resyncMs ?? 5 * 60 * 1000;
  const retryBase = deps.retryMs ?? 2000;
  const maxRetry = deps.maxRetryMs ?? 60_000;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => {
    const h = setTimeout(fn, ms);
    h.unref();
    return h;
  });
  const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
  const log = deps.logger;
  const where = { namespace: deps.namespace, secret: deps.secretName };

  let stopped = false;
  let timer: unknown;
  let running: Promise<SyncResult> | undefined;
  let failures = 0;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  async function renew(secret: SecretObject | undefined, m: Material, now: number): Promise<{ secret: SecretObject; material: Material } | 'conflict' | undefined> {
    const state = inspect(m);
    const plan = planRenewal(state, now, cfg);
    if (plan.ca === 'keep' && !plan.issueServing && !plan.dropPrevious) return undefined;
    const next: Material = { ...m };
    const prev = previousAfter(state, plan, now);
    if (prev) next.previousCa = prev.pem;
    else delete next.previousCa;
    if (plan.ca !== 'keep') next.ca = await maker.makeCa(caValidity(now, cfg));
    if (plan.issueServing) {
      const ca = next.ca;
      if (!ca?.key) throw new Error('internal: no CA key to sign the serving certificate with');
      const caCert = parseCert(ca.cert);
      if (!caCert) throw new Error('internal: the CA certificate to sign with does not parse');
      next.serving = await maker.makeServing(ca as { cert: string; key: string }, servingValidity(now, Date.parse(caCert.validTo), cfg), {
        commonName: `${deps.serviceName}.${deps.namespace}.svc`,
        dnsNames: cfg.dnsNames,
        ipAddresses: deps.ipAddresses ?? [],
      });
    }
    const nextState = inspect(next);
    const data: Record<string, string> = {};
    if (next.ca) {
      data[SECRET_KEYS.ca] = b64(next.ca.cert);
      if (next.ca.key) data[SECRET_KEYS.caKey] = b64(next.ca.key);
    }
    if (next.previousCa) data[SECRET_KEYS.previousCa] = b64(next.previousCa);
    data[SECRET_KEYS.bundle] = b64(bundlePem(nextState, now));
    if (next.serving) {
      data[SECRET_KEYS.cert] = b64(next.serving.cert);
      if (next.serving.key) data[SECRET_KEYS.key] = b64(next.serving.key);
    }
    const body: SecretObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        ...(secret?.metadata ?? {}),
        name: deps.secretName,
        namespace: deps.namespace,
        labels: { ...(secret?.metadata?.labels ?? {}), 'app.kubernetes.io/name': 'sdb-tls-guard', 'app.kubernetes.io/component': 'bootstrap-certs' },
      },
      type: 'Opaque',
      data,
    };
    try {
      const written = secret ? await deps.secrets.replace(deps.namespace, deps.secretName, body) : await deps.secrets.create(deps.namespace, body);
      log.info({ ...where, reasons: plan.reasons, ca: plan.ca, issuedServing: plan.issueServing }, 'bootstrap certificates renewed');
      return { secret: written, material: next };
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      throw err;
    }
  }

  async function patchWebhooks(caBundle: string): Promise<{ patched: WebhookKind[]; missing: WebhookKind[] }> {
    const patched: WebhookKind[] = [];
    const missing: WebhookKind[] = [];
    for (const kind of ['validating', 'mutating'] as const) {
      const name = deps.webhookConfigurations[kind];
      const cfgObj = await deps.webhooks.get(kind, name);
      if (!cfgObj) {
        missing.push(kind);
        continue;
      }
      const ops = caBundlePatch(cfgObj, caBundle);
      if (ops.length === 0) continue;
      await deps.webhooks.patch(kind, name, ops);
      patched.push(kind);
      log.info({ kind: `${kind}webhookconfiguration`, name, webhooks: ops.length / 2 }, 'caBundle updated');
    }
    return { patched, missing };
  }

  async function syncOnce(): Promise<SyncResult> {
    let wroteSecret = false;
    for (let attempt = 1; ; attempt++) {
      const now = deps.now();
      const secret = await deps.secrets.get(deps.namespace, deps.secretName);
      let material = readMaterial(secret);
      const renewed = await renew(secret, material, now);
      if (renewed === 'conflict') {
        if (attempt >= MAX_CONFLICTS) throw new Error(`Secret ${deps.namespace}/${deps.secretName}: still conflicting after ${attempt} attempts`);
        log.info({ ...where, attempt }, 'another replica wrote the bootstrap Secret first; reading it again');
        continue;
      }
      if (renewed) {
        material = renewed.material;
        wroteSecret = true;
      }
      const state = inspect(material);
      if (!material.serving?.key || !state.serving?.keyMatches) throw new Error('internal: no usable serving certificate after renewal');
      const wroteFiles = await deps.files.write(material.serving.cert, material.serving.key);
      if (wroteFiles) log.info({ ...where, notAfter: new Date(state.serving.notAfter).toISOString() }, 'serving certificate files written');
      resolveReady();
      const { patched, missing } = await patchWebhooks(b64(bundlePem(state, now)));
      if (missing.length > 0) {
        log.warn({ missing: missing.map((k) => `${k}webhookconfiguration/${deps.webhookConfigurations[k]}`) }, 'webhook configuration not found; caBundle not set yet');
      }
      const due = nextCheckAt(state, now, cfg);
      // A missing configuration is looked for again soon (it is usually being installed).
      const soon = missing.length > 0 ? now + Math.min(resyncMs, 10_000) : now + resyncMs;
      return { wroteSecret, wroteFiles, patched, missing, nextAt: Math.min(due ?? Infinity, soon) };
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer !== undefined) clearTimer(timer);
    // setTimeout holds at most 2^31-1 ms; the resync keeps delays far below that anyway.
    timer = setTimer(() => {
      timer = undefined;
      void syncNow().catch(() => undefined);
    }, Math.max(1000, Math.min(ms, 2 ** 31 - 1)));
  }

  function syncNow(): Promise<SyncResult> {
    if (running) return running;
    running = syncOnce()
      .then((r) => {
        failures = 0;
        schedule(r.nextAt - deps.now());
        return r;
      })
      .catch((err: unknown) => {
        failures++;
        const delay = Math.min(maxRetry, retryBase * 2 ** Math.min(failures - 1, 20));
        log.error({ ...where, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'bootstrap certificate sync failed');
        schedule(delay);
        throw err;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  void syncNow().catch(() => undefined);

  return {
    ready,
    syncNow,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
