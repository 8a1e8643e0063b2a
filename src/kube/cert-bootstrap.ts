// Bootstrap certificate mode (`serve --bootstrap-certs`): the service keeps its own CA
// and serving certificate in a Secret of its namespace, renews them well before expiry,
// writes the serving pair to the files the HTTPS server re-reads, and patches the
// caBundle of its two webhook configurations. Every replica runs this loop; the Secret's
// resourceVersion (optimistic concurrency) decides which replica's new certificate wins,
// and the losers adopt it on a fresh read, so all replicas serve the same pair.
//
// Decisions (when to renew, what the bundle holds) are pure: ../core/cert-renewal.ts.
// This file holds the I/O: Secret, files, webhook configurations, X.509 making and reading.
import { X509Certificate, createPrivateKey, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { generate } from 'selfsigned';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import {
  DEFAULT_RENEWAL,
  bundlePem,
  caValidity,
  checkRenewalConfig,
  nextCheckAt,
  planRenewal,
  previousAfter,
  servingValidity,
  type BootstrapState,
  type RenewalConfig,
} from '../core/cert-renewal.js';
import { isConflict, isNotFound } from './ports.js';

// ---- the Secret ----------------------------------------------------------------

/** Keys of the bootstrap Secret. `ca-bundle.crt` is what clients (the webhook
 *  configurations, a ServiceMonitor) trust; `ca.key` never leaves the Secret. */
export const SECRET_KEYS = {
  ca: 'ca.crt',
  caKey: 'ca.key',
  previousCa: 'ca-previous.crt',
  bundle: 'ca-bundle.crt',
  cert: 'tls.crt',
  key: 'tls.key',
} as const;

export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  type?: string;
  data?: Record<string, string>;
}

export interface BootstrapSecretPort {
  get(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** 409 when it already exists. */
  create(namespace: string, secret: SecretObject): Promise<SecretObject>;
  /** Replace carrying metadata.resourceVersion: 409 when another replica wrote first. */
  replace(namespace: string, name: string, secret: SecretObject): Promise<SecretObject>;
}

export type WebhookKind = 'validating' | 'mutating';

export interface WebhookConfigObject {
  metadata?: { name?: string; resourceVersion?: string };
  webhooks?: { name: string; clientConfig?: { caBundle?: string; [k: string]: unknown }; [k: string]: unknown }[];
}

export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown };

export interface WebhookConfigPort {
  get(kind: WebhookKind, name: string): Promise<WebhookConfigObject | undefined>;
  /** RFC 6902 JSON Patch; a failed `test` op makes the API server answer 422. */
  patch(kind: WebhookKind, name: string, ops: JsonPatchOp[]): Promise<void>;
}

/** Where the serving pair goes: the files `serve --cert/--key` read and re-read. */
export interface CertFileWriter {
  /** Writes both files when their content differs; resolves true when it wrote. */
  write(cert: string, key: string): Promise<boolean>;
}

export interface BootstrapLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Makes certificates. The default uses the `selfsigned` package (ECDSA P-256). */
export interface CertMaker {
  makeCa(validity: { notBefore: number; notAfter: number }): Promise<{ cert: string; key: string }>;
  makeServing(
    ca: { cert: string; key: string },
    validity: { notBefore: number; notAfter: number },
    names: { commonName: string; dnsNames: string[]; ipAddresses: string[] },
  ): Promise<{ cert: string; key: string }>;
}

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

// ---- X.509 reading ---------------------------------------------------------------

interface Material {
  ca?: { cert: string; key?: string };
  previousCa?: string;
  serving?: { cert: string; key?: string };
}

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const v = data?.[key];
  if (v === undefined || v === '') return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}

function parseCert(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, keyPem: string | undefined): boolean {
  if (keyPem === undefined) return false;
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function signedBy(cert: X509Certificate, ca: X509Certificate | undefined): boolean {
  if (ca === undefined) return false;
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

function dnsNamesOf(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  return san
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4));
}

const times = (c: X509Certificate) => ({ notBefore: Date.parse(c.validFrom), notAfter: Date.parse(c.validTo) });

/** Reads the Secret's data into Material (unparseable entries are dropped). */
export function readMaterial(secret: SecretObject | undefined): Material {
  const d = secret?.data;
  const m: Material = {};
  const caCert = decode(d, SECRET_KEYS.ca);
  if (parseCert(caCert)) m.ca = { cert: caCert!, ...(decode(d, SECRET_KEYS.caKey) ? { key: decode(d, SECRET_KEYS.caKey)! } : {}) };
  const prev = decode(d, SECRET_KEYS.previousCa);
  if (parseCert(prev)) m.previousCa = prev!;
  const cert = decode(d, SECRET_KEYS.cert);
  if (parseCert(cert)) m.serving = { cert: cert!, ...(decode(d, SECRET_KEYS.key) ? { key: decode(d, SECRET_KEYS.key)! } : {}) };
  return m;
}

/** Inspects Material into the facts the pure planner decides on. */
export function inspect(m: Material): BootstrapState {
  const state: BootstrapState = {};
  const ca = parseCert(m.ca?.cert);
  const prev = parseCert(m.previousCa);
  if (ca && m.ca) state.ca = { pem: m.ca.cert, ...times(ca), hasKey: keyMatches(ca, m.ca.key) };
  if (prev && m.previousCa) state.previousCa = { pem: m.previousCa, ...times(prev) };
  const s = parseCert(m.serving?.cert);
  if (s && m.serving) {
    state.serving = {
      pem: m.serving.cert,
      ...times(s),
      dnsNames: dnsNamesOf(s),
      keyMatches: keyMatches(s, m.serving.key),
      signedBy: signedBy(s, ca) ? 'current' : signedBy(s, prev) ? 'previous' : 'none',
    };
  }
  return state;
}

/** DNS names a Service is reached by from inside the cluster. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  return [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
}

// ---- certificate making (selfsigned) ---------------------------------------------

/** One trailing newline, LF line ends: bundles concatenate cleanly, comparisons are exact. */
export function normalizePem(pem: string): string {
  return `${pem.replace(/\r\n/g, '\n').trimEnd()}\n`;
}

export const selfsignedMaker: CertMaker = {
  async makeCa(v) {
    const r = await generate([{ name: 'commonName', value: `sdb-tls-guard bootstrap CA ${randomUUID().slice(0, 8)}` }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(v.notBefore),
      notAfterDate: new Date(v.notAfter),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    return { cert: normalizePem(r.cert), key: normalizePem(r.private) };
  },
  async makeServing(ca, v, names) {
    const r = await generate([{ name: 'commonName', value: names.commonName }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(v.notBefore),
      notAfterDate: new Date(v.notAfter),
      ca: { key: ca.key, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...names.dnsNames.map((value) => ({ type: 2 as const, value })),
            ...names.ipAddresses.map((ip) => ({ type: 7 as const, ip })),
          ],
        },
      ],
    });
    return { cert: normalizePem(r.cert), key: normalizePem(r.private) };
  },
};

// ---- files -------------------------------------------------------------------------

/** Writes the serving pair atomically (temporary file + rename in the same directory),
 *  key first, so a reader sees either the old or the new file, never half of one. The
 *  server's reloader keeps the old pair while cert and key do not match yet. */
export function fileWriter(certFile: string, keyFile: string): CertFileWriter {
  const same = async (path: string, content: string) => {
    try {
      return (await readFile(path, 'utf8')) === content;
    } catch {
      return false;
    }
  };
  const put = async (path: string, content: string) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
    try {
      await writeFile(tmp, content, { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  };
  return {
    async write(cert, key) {
      const [certSame, keySame] = await Promise.all([same(certFile, cert), same(keyFile, key)]);
      if (certSame && keySame) return false;
      if (!keySame) await put(keyFile, key);
      if (!certSame) await put(certFile, cert);
      return true;
    },
  };
}

// ---- client-node ports -------------------------------------------------------------

export function clientNodeBootstrapPorts(kc: KubeConfig): { secrets: BootstrapSecretPort; webhooks: WebhookConfigPort } {
  const core = kc.makeApiClient(CoreV1Api);
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
  return {
    secrets: {
      get: (namespace, name) => orUndefined(core.readNamespacedSecret({ namespace, name }) as Promise<SecretObject>),
      create: (namespace, body) => core.createNamespacedSecret({ namespace, body: body as V1Secret }) as Promise<SecretObject>,
      replace: (namespace, name, body) =>
        core.replaceNamespacedSecret({ namespace, name, body: body as V1Secret }) as Promise<SecretObject>,
    },
    webhooks: {
      get: (kind, name) =>
        orUndefined(
          (kind === 'validating'
            ? adm.readValidatingWebhookConfiguration({ name })
            : adm.readMutatingWebhookConfiguration({ name })) as Promise<WebhookConfigObject>,
        ),
      async patch(kind, name, ops) {
        if (kind === 'validating') await adm.patchValidatingWebhookConfiguration({ name, body: ops }, jsonPatch);
        else await adm.patchMutatingWebhookConfiguration({ name, body: ops }, jsonPatch);
      },
    },
  };
}

// ---- the loop ------------------------------------------------------------------------

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
    h.unref?.();
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
      const caCert = parseCert(ca.cert)!;
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
