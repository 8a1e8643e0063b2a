// Certificate making with the `selfsigned` package (ECDSA P-256): the default CertMaker
// of the bootstrap loop.
import { randomUUID } from 'node:crypto';
import { generate } from 'selfsigned';
import type { CertMaker } from './ports.js';

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
