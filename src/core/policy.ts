// The optional policy of SPEC 3c. `parsePolicy` (in ./policy-load.ts, pure: text in,
// Policy or PolicyError out) checks it against its JSON Schema; main reads the file.

export interface Policy {
  /** allowed-issuers: every issuerRef must match one entry; name "*" matches any name. */
  allowedIssuers?: { kind: 'Issuer' | 'ClusterIssuer'; name: string }[];
  /** tls-removal-protected: `remove: true` is denied on matching databases. */
  protectTLS?: { namespaces?: string[]; databaseSelector?: { matchLabels?: Record<string, string> } };
  /** certificate-duration-bounds: Go durations. */
  certificateDuration?: { min?: string; max?: string };
  /** private-key-encoding: the only encoding a certificate may set. */
  privateKeyEncoding?: 'PKCS1' | 'PKCS8';
}
