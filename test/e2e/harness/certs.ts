// Certificates of a test control plane, made with the selfsigned package and node:crypto
// (no openssl needed): one CA that signs the API server's serving certificate (SANs
// 127.0.0.1, ::1, localhost) and the admin client certificate (O=system:masters), plus
// the service-account signing key pair.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ControlPlaneCerts {
  caCert: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  saPublicKey: string;
  saPrivateKey: string;
}

export interface CertFiles {
  caFile: string;
  servingCertFile: string;
  servingKeyFile: string;
  adminCertFile: string;
  adminKeyFile: string;
  saPublicKeyFile: string;
  saPrivateKeyFile: string;
}

export async function makeControlPlaneCerts(now = new Date()): Promise<ControlPlaneCerts> {
  const notBeforeDate = new Date(now.getTime() - 3600_000);
  const notAfterDate = new Date(now.getTime() + 7 * 24 * 3600_000);
  const base = { keyType: 'ec' as const, curve: 'P-256' as const, algorithm: 'sha256' as const, notBeforeDate, notAfterDate };
  const ca = await generate([{ name: 'commonName', value: `sdb-tls-guard e2e CA ${randomBytes(4).toString('hex')}` }], {
    ...base,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signer = { ca: { key: ca.private, cert: ca.cert } };
  const serving = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    ...base,
    ...signer,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes.default.svc' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 7, ip: '10.0.0.1' },
        ],
      },
    ],
  });
  const admin = await generate(
    [
      { name: 'commonName', value: 'e2e-admin' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    {
      ...base,
      ...signer,
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
      ],
    },
  );
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    caCert: ca.cert,
    servingCert: serving.cert,
    servingKey: serving.private,
    adminCert: admin.cert,
    adminKey: admin.private,
    saPublicKey: sa.publicKey,
    saPrivateKey: sa.privateKey,
  };
}

export function writeCerts(dir: string, c: ControlPlaneCerts): CertFiles {
  const f = (name: string, text: string, mode = 0o600): string => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode });
    return p;
  };
  return {
    caFile: f('ca.crt', c.caCert, 0o644),
    servingCertFile: f('apiserver.crt', c.servingCert, 0o644),
    servingKeyFile: f('apiserver.key', c.servingKey),
    adminCertFile: f('admin.crt', c.adminCert, 0o644),
    adminKeyFile: f('admin.key', c.adminKey),
    saPublicKeyFile: f('sa.pub', c.saPublicKey, 0o644),
    saPrivateKeyFile: f('sa.key', c.saPrivateKey),
  };
}
