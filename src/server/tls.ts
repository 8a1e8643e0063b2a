// TLS settings of the HTTPS server and the serving certificate's hot reload.
// Certificates come from files (a mounted Secret, whose files are symlinks the kubelet
// swaps atomically through `..data`), so both the files and their directories are
// watched; changes are debounced, the new pair is validated, and only then swapped in
// with server.setSecureContext (open connections keep their context: no dropped request).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';

export type TlsMinVersion = '1.2' | '1.3';

/**
 * TLS 1.3 suites and the TLS 1.2 ECDHE + AEAD suites only (Mozilla "intermediate"
 * minus anything without forward secrecy or AEAD). Go's crypto/tls, which the API
 * server uses, speaks all of them.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface TlsMaterial {
  /** Serving certificate chain, PEM. */
  cert: string;
  /** Its private key, PEM. */
  key: string;
  /** CA bundle that client certificates must chain to (--client-ca), PEM. */
  clientCa?: string;
}

export interface TlsSettings {
  minVersion: TlsMinVersion;
}

export interface CertificateInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
}

export class TlsMaterialError extends Error {
  override name = 'TlsMaterialError';
}

/** Check that cert and key are PEM, belong together and that the client CA parses. */
export function validateMaterial(m: TlsMaterial): CertificateInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(m.cert);
  } catch (err) {
    throw new TlsMaterialError(`certificate is not a PEM X.509 certificate (${(err as Error).message})`);
  }
  try {
    createPrivateKey(m.key);
  } catch (err) {
    throw new TlsMaterialError(`private key is not a PEM private key (${(err as Error).message})`);
  }
  if (!x509.checkPrivateKey(createPrivateKey(m.key))) throw new TlsMaterialError('private key does not match the certificate');
  if (m.clientCa !== undefined) {
    try {
      new X509Certificate(m.clientCa);
    } catch (err) {
      throw new TlsMaterialError(`client CA is not a PEM X.509 certificate (${(err as Error).message})`);
    }
  }
  try {
    createSecureContext(secureContextOptions(m, { minVersion: '1.2' }));
  } catch (err) {
    throw new TlsMaterialError(`certificate and key are not usable for TLS (${(err as Error).message})`);
  }
  return { subject: x509.subject, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo), fingerprint256: x509.fingerprint256 };
}

const versionOf = (v: TlsMinVersion) => (v === '1.3' ? 'TLSv1.3' : 'TLSv1.2');

/** The secure-context part (what setSecureContext replaces on reload). */
export function secureContextOptions(m: TlsMaterial, s: TlsSettings): SecureContextOptions {
  return {
    cert: m.cert,
    key: m.key,
    ...(m.clientCa !== undefined ? { ca: m.clientCa } : {}),
    minVersion: versionOf(s.minVersion),
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
  };
}

/** Options for https.createServer / Fastify's `https`. */
export function httpsServerOptions(m: TlsMaterial, s: TlsSettings): HttpsServerOptions {
  return {
    ...secureContextOptions(m, s),
    // With a client CA the API server must present a certificate that chains to it.
    ...(m.clientCa !== undefined ? { requestCert: true, rejectUnauthorized: true } : { requestCert: false }),
  };
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

/**
 * Reads the three files at once. When several cannot be read, the error names the first
 * in the order certificate, private key, client CA — whichever read fails first in time
 * (Promise.all) would make the message depend on the machine's load.
 */
export async function readTlsFiles(f: TlsFiles): Promise<TlsMaterial> {
  const read = (path: string, what: string) =>
    readFile(path, 'utf8').catch((err: unknown) => {
      throw new TlsMaterialError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    });
  const results = await Promise.allSettled([
    read(f.certFile, 'certificate'),
    read(f.keyFile, 'private key'),
    f.clientCaFile ? read(f.clientCaFile, 'client CA') : Promise.resolve(undefined),
  ]);
  const [cert, key, clientCa] = results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  if (cert === undefined || key === undefined) throw new Error('internal: a certificate or key read gave nothing');
  return { cert, key, ...(clientCa !== undefined ? { clientCa } : {}) };
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert === b.cert && a.key === b.key && a.clientCa === b.clientCa;
}

/** Where a reload lands: in main, the https.Server's setSecureContext. */
export type ApplySecureContext = (options: SecureContextOptions) => void;

export interface ReloaderOptions {
  files: TlsFiles;
  settings: TlsSettings;
  logger: FastifyBaseLogger;
  metrics?: Metrics;
  /** Quiet time after the last file event before reloading. Default 250 ms. */
  debounceMs?: number;
  /** Also re-read the files this often (filesystems without inotify). 0 = off. Default 60 s. */
  pollIntervalMs?: number;
}

/**
 * Watches the certificate, key and client CA files and their directories; on change,
 * re-reads, validates and applies the new material. A bad new pair is logged and the
 * old one stays in use.
 */
export class CertificateReloader {
  private current: TlsMaterial | undefined;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private again = false;
  private stopped = false;
  private readonly debounceMs: number;
  private readonly pollIntervalMs: number;
  private apply: ApplySecureContext | undefined;

  constructor(private readonly opts: ReloaderOptions) {
    this.debounceMs = opts.debounceMs ?? 250;
    this.pollIntervalMs = opts.pollIntervalMs ?? 60_000;
  }

  /** Read and validate the files once; the caller builds the server from the result. */
  async load(): Promise<{ material: TlsMaterial; info: CertificateInfo }> {
    const material = await readTlsFiles(this.opts.files);
    const info = validateMaterial(material);
    this.current = material;
    this.opts.metrics?.tlsCertificateExpiry.set(Math.floor(info.notAfter.getTime() / 1000));
    return { material, info };
  }

  /** Begin watching; new material goes to `apply` (main: server.setSecureContext). */
  start(apply: ApplySecureContext): void {
    this.apply = apply;
    this.stopped = false;
    this.arm();
    if (this.pollIntervalMs > 0) {
      this.poll = setInterval(() => void this.reload('poll'), this.pollIntervalMs);
      this.poll.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.timer = undefined;
    this.poll = undefined;
    this.disarm();
  }

  private paths(): string[] {
    const f = this.opts.files;
    return [f.certFile, f.keyFile, ...(f.clientCaFile ? [f.clientCaFile] : [])];
  }

  private disarm(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /**
   * (Re)create the watches after a reload that read `seen`, then read the files once more:
   * a write that landed after that read but before the new watches existed reached only
   * the closed ones (its event is gone), so a difference now schedules another reload.
   * This is what makes an in-place rewrite (certificate, then key a moment later) land
   * even when the key is written while the mismatched pair is being refused.
   */
  private rearm(seen: TlsMaterial): void {
    this.arm();
    readTlsFiles(this.opts.files).then(
      (now) => {
        if (!this.stopped && !sameMaterial(now, seen)) this.schedule();
      },
      () => undefined, // a file mid-swap: the directory watches see the swap
    );
  }

  /** (Re)create the watches; files are re-watched after every change since a swapped symlink leaves the old inode behind. */
  private arm(): void {
    this.disarm();
    if (this.stopped) return;
    const targets = new Set<string>([...this.paths(), ...this.paths().map((p) => dirname(p))]);
    for (const t of targets) {
      try {
        const w = watch(t, { persistent: false }, () => this.schedule());
        w.on('error', () => this.schedule());
        this.watchers.push(w);
      } catch {
        // The file may be mid-swap; the directory watch and the poll cover it.
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload('watch');
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Re-read now. Resolves true when new material was applied. */
  reload(trigger: 'watch' | 'poll' | 'manual' = 'manual'): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.doReload(trigger).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.reload(trigger);
      }
    });
    return this.running;
  }

  private async doReload(trigger: string): Promise<boolean> {
    const log = this.opts.logger;
    let material: TlsMaterial | undefined;
    let info: CertificateInfo;
    try {
      material = await readTlsFiles(this.opts.files);
      if (this.current && sameMaterial(material, this.current)) {
        if (trigger === 'watch') this.rearm(material);
        return false;
      }
      info = validateMaterial(material);
    } catch (err) {
      // Typical mid-rotation state (new cert, old key): keep serving the old pair; the
      // next event or poll retries.
      this.opts.metrics?.tlsReloads.inc({ result: 'failure' });
      log.warn({ trigger, error: (err as Error).message }, 'serving certificate not reloaded; keeping the current one');
      if (trigger === 'watch') {
        if (material) this.rearm(material);
        else this.arm();
      }
      return false;
    }
    try {
      if (!this.apply) throw new Error('reloader not started');
      this.apply(secureContextOptions(material, this.opts.settings));
    } catch (err) {
      this.opts.metrics?.tlsReloads.inc({ result: 'failure' });
      log.warn({ trigger, error: (err as Error).message }, 'serving certificate not reloaded; keeping the current one');
      return false;
    }
    this.current = material;
    this.opts.metrics?.tlsReloads.inc({ result: 'success' });
    this.opts.metrics?.tlsCertificateExpiry.set(Math.floor(info.notAfter.getTime() / 1000));
    log.info({ trigger, subject: info.subject, notAfter: info.notAfter.toISOString(), fingerprint256: info.fingerprint256 }, 'serving certificate reloaded');
    this.rearm(material);
    return true;
  }
}
