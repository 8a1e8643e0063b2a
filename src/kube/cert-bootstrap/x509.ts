// X.509 inspection of the bootstrap Secret: its data read into PEM material, and that
// material inspected into the facts the pure planner (../../core/cert-renewal.ts)
// decides on. Unparseable entries are dropped, never thrown.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { BootstrapState } from '../../core/cert-renewal.js';
import { SECRET_KEYS, type SecretObject } from './ports.js';

/** The PEMs of the bootstrap Secret (keys only where the Secret holds them). */
export interface Material {
  ca?: { cert: string; key?: string };
  previousCa?: string;
  serving?: { cert: string; key?: string };
}

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const v = data?.[key];
  if (v === undefined || v === '') return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}


/** The certificate in `pem`, or undefined when absent or unparseable. */
export function parseCert(pem: string | undefined): X509Certificate | undefined {
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
  if (caCert !== undefined && parseCert(caCert)) {
    const caKey = decode(d, SECRET_KEYS.caKey);
    m.ca = { cert: caCert, ...(caKey ? { key: caKey } : {}) };
  }
  const prev = decode(d, SECRET_KEYS.previousCa);
  if (prev !== undefined && parseCert(prev)) m.previousCa = prev;
  const cert = decode(d, SECRET_KEYS.cert);
  if (cert !== undefined && parseCert(cert)) {
    const key = decode(d, SECRET_KEYS.key);
    m.serving = { cert, ...(key ? { key } : {}) };
  }
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
