// What a ReconfigureTLS request makes of the database's TLS: the new spec.tls, the
// cert-manager Certificates KubeDB would create for it, and the PetSet pod template's
// `tls-volume`. PURE.
import {
  CERT_MANAGER_GROUP,
  type Certificate,
  type CertificateSpec,
  type Container,
  type IssuerRef,
  type OpsTLSSpec,
  type PetSet,
  type Singlestore,
  type TLSConfig,
  type Volume,
} from '../../api/types.js';
import { TLS_MOUNT_PATH, TLS_VOLUME } from './names.js';
import { certificateName, certificateSecretName, governingServiceName } from '../names.js';
import { jsonEqual } from '../json-equal.js';
import { namespaceOf } from '../meta.js';

export type TLSOperation = 'add' | 'rotate' | 'remove';

/** add covers add, update by alias and change of issuer (one code path, as in KubeDB). */
export function tlsOperation(tls: OpsTLSSpec | null | undefined): TLSOperation {
  if (tls?.remove === true) return 'remove';
  if (tls?.rotateCertificates === true) return 'rotate';
  return 'add';
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function withGroup(ref: IssuerRef): IssuerRef {
  return { apiGroup: ref.apiGroup ?? CERT_MANAGER_GROUP, kind: ref.kind, name: ref.name };
}

/**
 * The Singlestore's spec.tls after the request: issuerRef replaced when given;
 * certificates merged by alias (fields the request gives replace the same fields of the
 * existing entry, others are kept); `server` and `client` always present. remove → null.
 * rotate → the current spec.tls with server/client ensured. With the database's name,
 * `server` and `client` also get the derived `secretName` when they have none, as
 * KubeDB's TLS defaulting writes it (SetTLSDefaults: SetMissingSecretNameForCertificate
 * with CertificateName(alias)). Idempotent: newTLS(newTLS(x)) == newTLS(x).
 */
export function newTLS(current: TLSConfig | undefined, req: OpsTLSSpec | null | undefined, db?: string): TLSConfig | null {
  const op = tlsOperation(req);
  if (op === 'remove') return null;
  const out: TLSConfig = clone(current) ?? {};
  if (op === 'add' && req?.issuerRef) out.issuerRef = withGroup(req.issuerRef);
  const certs: CertificateSpec[] = out.certificates ? [...out.certificates] : [];
  if (op === 'add') {
    for (const given of req?.certificates ?? []) {
      const i = certs.findIndex((c) => c.alias === given.alias);
      const g = clone(given);
      if (g.issuerRef) g.issuerRef = withGroup(g.issuerRef);
      if (i < 0) certs.push(g);
      else certs[i] = { ...certs[i], ...g };
    }
  }
  for (const alias of ['server', 'client']) {
    let i = certs.findIndex((c) => c.alias === alias);
    if (i < 0) i = certs.push({ alias }) - 1;
    const cert = certs[i];
    if (db !== undefined && cert && !cert.secretName) certs[i] = { ...cert, secretName: certificateName(db, alias) };
  }
  out.certificates = certs;
  return out;
}

export function secretNameOf(db: string, cert: CertificateSpec | undefined, alias: string): string {
  return certificateSecretName(db, alias, cert?.secretName);
}

const SERVER_USAGES = ['digital signature', 'key encipherment', 'server auth', 'client auth'];
const CLIENT_USAGES = ['digital signature', 'key encipherment', 'client auth'];

export function dbLabels(db: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'singlestores.kubedb.com',
    'app.kubernetes.io/instance': db,
    'app.kubernetes.io/managed-by': 'kubedb.com',
  };
}

/** Labels KubeDB puts on a database's Certificates: the database's, and component=database. */
export function certificateLabels(db: string): Record<string, string> {
  return { ...dbLabels(db), 'app.kubernetes.io/component': 'database' };
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** The cert-manager Certificate KubeDB would make for one entry of spec.tls.certificates. */
export function desiredCertificate(db: Singlestore, tls: TLSConfig, cert: CertificateSpec): Certificate {
  const name = db.metadata?.name ?? '';
  const ns = namespaceOf(db);
  const alias = cert.alias ?? '';
  const issuer = cert.issuerRef ?? tls.issuerRef ?? {};
  const spec: NonNullable<Certificate['spec']> = {
    secretName: secretNameOf(name, cert, alias),
    issuerRef: { name: issuer.name, kind: issuer.kind, group: issuer.apiGroup ?? CERT_MANAGER_GROUP },
  };
  if (alias === 'server') {
    spec.commonName = name;
    spec.dnsNames = uniq([
      `*.${governingServiceName(name)}.${ns}.svc`,
      `*.${governingServiceName(name)}.${ns}.svc.cluster.local`,
      `*.${name}.${ns}.svc`,
      'localhost',
      name,
      `${name}.${ns}.svc`,
      ...(cert.dnsNames ?? []),
    ]);
    spec.ipAddresses = uniq(['127.0.0.1', ...(cert.ipAddresses ?? [])]);
    spec.usages = SERVER_USAGES;
  } else {
    spec.commonName = alias === 'client' ? 'root' : name;
    if (cert.dnsNames?.length) spec.dnsNames = [...cert.dnsNames];
    if (cert.ipAddresses?.length) spec.ipAddresses = [...cert.ipAddresses];
    spec.usages = CLIENT_USAGES;
  }
  if (cert.subject) spec.subject = clone(cert.subject);
  if (cert.duration) spec.duration = cert.duration;
  if (cert.renewBefore) spec.renewBefore = cert.renewBefore;
  if (cert.uris?.length) spec.uris = [...cert.uris];
  if (cert.emailAddresses?.length) spec.emailAddresses = [...cert.emailAddresses];
  if (cert.privateKey?.encoding) spec.privateKey = { encoding: cert.privateKey.encoding };
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: certificateName(name, alias),
      namespace: ns,
      labels: certificateLabels(name),
      ownerReferences: [
        {
          apiVersion: db.apiVersion ?? 'kubedb.com/v1alpha2',
          kind: 'Singlestore',
          name,
          uid: db.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}

export function desiredCertificates(db: Singlestore, tls: TLSConfig): Certificate[] {
  return (tls.certificates ?? []).map((c) => desiredCertificate(db, tls, c));
}

/** Spec keys the reconciler manages on a Certificate (others are left alone). */
export const MANAGED_CERT_KEYS = [
  'secretName',
  'issuerRef',
  'commonName',
  'dnsNames',
  'ipAddresses',
  'uris',
  'emailAddresses',
  'subject',
  'duration',
  'renewBefore',
  'usages',
  'privateKey',
] as const;


/**
 * RFC 7386 merge patch turning `observed` into `desired` on the managed spec keys and
 * the owner reference (undefined when nothing differs).
 */
export function certificatePatch(observed: Certificate, desired: Certificate): Record<string, unknown> | undefined {
  const specPatch: Record<string, unknown> = {};
  const o = (observed.spec ?? {}) as Record<string, unknown>;
  const d = (desired.spec ?? {}) as Record<string, unknown>;
  for (const k of MANAGED_CERT_KEYS) {
    if (jsonEqual(o[k], d[k])) continue;
    specPatch[k] = d[k] === undefined ? null : d[k];
  }
  const patch: Record<string, unknown> = {};
  if (Object.keys(specPatch).length) patch.spec = specPatch;
  const meta: Record<string, unknown> = {};
  const owners = observed.metadata?.ownerReferences ?? [];
  const want = desired.metadata?.ownerReferences?.[0];
  if (want && !owners.some((r) => r.uid === want.uid && r.kind === want.kind)) {
    meta.ownerReferences = [...owners.filter((r) => !r.controller), want];
  }
  // KubeDB's labels (merge patch: only the keys that differ; others' labels stay).
  const haveLabels = observed.metadata?.labels ?? {};
  const labelPatch: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired.metadata?.labels ?? {})) if (haveLabels[k] !== v) labelPatch[k] = v;
  if (Object.keys(labelPatch).length) meta.labels = labelPatch;
  if (Object.keys(meta).length) patch.metadata = meta;
  return Object.keys(patch).length ? patch : undefined;
}

// ---- PetSet tls-volume ------------------------------------------------------------

/** The projected `tls-volume` with the keys SingleStore reads from /etc/memsql/certs. */
export function tlsVolume(db: string, tls: TLSConfig): Volume {
  const find = (alias: string): CertificateSpec | undefined => tls.certificates?.find((c) => c.alias === alias);
  return {
    name: TLS_VOLUME,
    projected: {
      defaultMode: 0o440,
      sources: [
        {
          secret: {
            name: secretNameOf(db, find('server'), 'server'),
            items: [
              { key: 'ca.crt', path: 'ca.crt' },
              { key: 'tls.crt', path: 'server.crt' },
              { key: 'tls.key', path: 'server.key' },
            ],
          },
        },
        {
          secret: {
            name: secretNameOf(db, find('client'), 'client'),
            items: [
              { key: 'tls.crt', path: 'client.crt' },
              { key: 'tls.key', path: 'client.key' },
            ],
          },
        },
      ],
    },
  };
}

function withMount(c: Container, add: boolean): Container {
  const others = (c.volumeMounts ?? []).filter((m) => m.name !== TLS_VOLUME);
  const mounts = add ? [...others, { name: TLS_VOLUME, mountPath: TLS_MOUNT_PATH }] : others;
  const out: Container = { ...c };
  if (mounts.length) out.volumeMounts = mounts;
  else delete out.volumeMounts;
  return out;
}

/**
 * Merge patch that adds (tls given) or removes (tls null) the tls-volume and its mount
 * in every container of the pod template; undefined when the template already matches.
 */
export function petSetPatch(ps: PetSet, db: string, tls: TLSConfig | null): Record<string, unknown> | undefined {
  const tspec = ps.spec?.template?.spec ?? {};
  const volumes = tspec.volumes ?? [];
  const containers = tspec.containers ?? [];
  const others = volumes.filter((v) => v.name !== TLS_VOLUME);
  const nextVolumes = tls ? [...others, tlsVolume(db, tls)] : others;
  const nextContainers = containers.map((c) => withMount(c, tls !== null));
  const volumesSame =
    tls === null
      ? others.length === volumes.length
      : jsonEqual(volumes.find((v) => v.name === TLS_VOLUME), tlsVolume(db, tls));
  if (volumesSame && jsonEqual(containers, nextContainers)) return undefined;
  return { spec: { template: { spec: { volumes: nextVolumes, containers: nextContainers } } } };
}
