// --self-signed: a throw-away CA and a serving certificate it signs, made with the
// `selfsigned` package, for local use and first installs. The CA bundle is what the
// webhook configurations' caBundle (base64) and `curl --cacert` need.
import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';

export interface SelfSignedOptions {
  /** Namespace of the in-cluster Service (names sdb-tls-guard.<ns>.svc...). */
  namespace: string;
  /** Name of the Service. Default sdb-tls-guard. */
  serviceName?: string;
  /** Validity in days. Default 365. */
  days?: number;
  /** The current time (default: the clock); validity starts an hour before it. */
  now?: Date;
}

export interface SelfSignedMaterial {
  caCert: string;
  cert: string;
  key: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** SANs of the serving certificate: loopback names and the Service's DNS names. */
export function servingNames(namespace: string, serviceName = 'sdb-tls-guard'): { dnsNames: string[]; ipAddresses: string[] } {
  return {
    dnsNames: [
      'localhost',
      serviceName,
      `${serviceName}.${namespace}`,
      `${serviceName}.${namespace}.svc`,
      `${serviceName}.${namespace}.svc.cluster.local`,
    ],
    ipAddresses: ['127.0.0.1', '::1'],
  };
}

export async function generateSelfSigned(opts: SelfSignedOptions): Promise<SelfSignedMaterial> {
  const serviceName = opts.serviceName ?? 'sdb-tls-guard';
  const now = opts.now ?? new Date();
  // Back-dated an hour so a client whose clock runs a little behind still accepts it.
  const notBeforeDate = new Date(now.getTime() - 3600 * 1000);
  const notAfterDate = new Date(now.getTime() + (opts.days ?? 365) * 24 * 3600 * 1000);
  // A unique CA name: a bundle holding several of these CAs (old and new) stays unambiguous.
  const ca = await generate([{ name: 'commonName', value: `sdb-tls-guard self-signed CA ${randomBytes(6).toString('hex')}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const { dnsNames, ipAddresses } = servingNames(opts.namespace, serviceName);
  const serving = await generate([{ name: 'commonName', value: `${serviceName}.${opts.namespace}.svc` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      // ECDSA keys sign; keyEncipherment applies to RSA only.
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dnsNames.map((value) => ({ type: 2 as const, value })), ...ipAddresses.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { caCert: ca.cert, cert: serving.cert, key: serving.private, dnsNames, ipAddresses };
}

/** The caBundle value of a webhook configuration: base64 of the PEM. */
export function caBundleBase64(caPem: string): string {
  return Buffer.from(caPem, 'utf8').toString('base64');
}
