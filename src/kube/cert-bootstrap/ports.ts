// The ports of the bootstrap certificate loop (./loop.ts) and the bootstrap Secret's
// format: what the loop reads and writes, declared by the loop's side. ./client.ts
// implements the Secret and webhook-configuration ports over client-node, ./files.ts
// the file writer, ./maker.ts the certificate maker; tests pass in-memory ones.

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
