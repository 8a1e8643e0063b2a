// Wire types of the objects this project reads and writes. Shapes follow KubeDB's
// apis/ops/v1alpha1 and apis/kubedb/v1alpha2 and cert-manager.io/v1 (see
// ../shared/DOMAIN.md). Only the fields the rules and the reconciler use are typed;
// everything else passes through untouched.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  severity?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

// ---- cert-manager -------------------------------------------------------------

export interface IssuerRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

export interface X509Subject {
  organizations?: string[];
  countries?: string[];
  organizationalUnits?: string[];
  localities?: string[];
  provinces?: string[];
  streetAddresses?: string[];
  postalCodes?: string[];
  serialNumber?: string;
}

export type PrivateKeyEncoding = 'PKCS1' | 'PKCS8';

/** One entry of KubeDB's `tls.certificates[]` (kmodules CertificateSpec). */
export interface CertificateSpec {
  alias?: string;
  issuerRef?: IssuerRef;
  secretName?: string;
  subject?: X509Subject;
  duration?: string;
  renewBefore?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
  emailAddresses?: string[];
  /** encoding: a {@link PrivateKeyEncoding} when valid; the wire may carry any string (the schema rule judges it). */
  privateKey?: { encoding?: string };
}

/** KubeDB's TLSConfig as held by a Singlestore (`spec.tls`). */
export interface TLSConfig {
  issuerRef?: IssuerRef;
  certificates?: CertificateSpec[];
}

export interface Issuer extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[] };
}

/** cert-manager.io/v1 Certificate (the fields the reconciler writes and reads). */
export interface Certificate extends KubeObject {
  spec?: {
    secretName?: string;
    issuerRef?: { name?: string; kind?: string; group?: string };
    commonName?: string;
    dnsNames?: string[];
    ipAddresses?: string[];
    uris?: string[];
    emailAddresses?: string[];
    subject?: X509Subject;
    duration?: string;
    renewBefore?: string;
    usages?: string[];
    privateKey?: { algorithm?: string; encoding?: string; size?: number; rotationPolicy?: string };
    [key: string]: unknown;
  };
  status?: {
    conditions?: Condition[];
    notBefore?: string;
    notAfter?: string;
    renewalTime?: string;
    revision?: number;
  };
}

// ---- KubeDB -------------------------------------------------------------------

export const OPS_TYPES = [
  'UpdateVersion',
  'HorizontalScaling',
  'VerticalScaling',
  'VolumeExpansion',
  'Restart',
  'Reconfigure',
  'ReconfigureTLS',
  'RotateAuth',
  'StorageMigration',
] as const;
export type OpsRequestType = (typeof OPS_TYPES)[number];

export const OPS_PHASES = [
  'Pending',
  'Progressing',
  'Successful',
  'WaitingForApproval',
  'Failed',
  'Approved',
  'Denied',
  'Skipped',
] as const;
export type OpsRequestPhase = (typeof OPS_PHASES)[number];

/** Phases in which a request still counts as "in flight" (SPEC 3b). */
export const NON_TERMINAL_PHASES: ReadonlySet<string> = new Set([
  '',
  'Pending',
  'Progressing',
  'WaitingForApproval',
  'Approved',
]);

/** `spec.tls` of a SinglestoreOpsRequest: TLSConfig plus the two one-shot switches. */
export interface OpsTLSSpec extends TLSConfig {
  rotateCertificates?: boolean;
  remove?: boolean;
}

export interface SinglestoreOpsRequestSpec {
  databaseRef?: { name?: string };
  /** An {@link OpsRequestType} when valid; the wire may carry any string (the schema rule judges it). */
  type?: string;
  tls?: OpsTLSSpec | null;
  timeout?: string;
  /** 'IfReady' or 'Always' when valid; the wire may carry any string (the schema rule judges it). */
  apply?: string;
  maxRetries?: number;
  [key: string]: unknown;
}

export interface SinglestoreOpsRequestStatus {
  phase?: OpsRequestPhase | '';
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface SinglestoreOpsRequest extends KubeObject {
  spec?: SinglestoreOpsRequestSpec;
  status?: SinglestoreOpsRequestStatus;
}

export interface NodeSpec {
  replicas?: number;
  suffix?: string;
  [key: string]: unknown;
}

export interface Singlestore extends KubeObject {
  spec?: {
    version?: string;
    tls?: TLSConfig;
    halted?: boolean;
    topology?: { aggregator?: NodeSpec; leaf?: NodeSpec };
    replicas?: number;
    deletionPolicy?: string;
    [key: string]: unknown;
  };
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: Condition[];
  };
}

// ---- workloads the reconciler touches -------------------------------------------

export interface Volume {
  name: string;
  [key: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  volumeMounts?: VolumeMount[];
  [key: string]: unknown;
}

/** apps.k8s.appscode.com/v1 PetSet (only the pod template matters here). */
export interface PetSet extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata?: ObjectMeta;
      spec?: { containers?: Container[]; initContainers?: Container[]; volumes?: Volume[]; [key: string]: unknown };
    };
    [key: string]: unknown;
  };
  status?: { readyReplicas?: number; replicas?: number; observedGeneration?: number; [key: string]: unknown };
}

export interface Pod extends KubeObject {
  spec?: { containers?: Container[]; volumes?: Volume[]; [key: string]: unknown };
  status?: { phase?: string; conditions?: Condition[]; [key: string]: unknown };
}

// ---- group/version/kind constants ------------------------------------------------

export const GVK = {
  opsRequest: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest', plural: 'singlestoreopsrequests' },
  singlestore: { group: 'kubedb.com', version: 'v1alpha2', kind: 'Singlestore', plural: 'singlestores' },
  issuer: { group: 'cert-manager.io', version: 'v1', kind: 'Issuer', plural: 'issuers' },
  clusterIssuer: { group: 'cert-manager.io', version: 'v1', kind: 'ClusterIssuer', plural: 'clusterissuers' },
  certificate: { group: 'cert-manager.io', version: 'v1', kind: 'Certificate', plural: 'certificates' },
  petSet: { group: 'apps.k8s.appscode.com', version: 'v1', kind: 'PetSet', plural: 'petsets' },
} as const;

export const CERT_MANAGER_GROUP = 'cert-manager.io';
export const SUPPORTED_ALIASES = ['server', 'client', 'metrics-exporter'] as const;
