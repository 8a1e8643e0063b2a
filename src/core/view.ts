// The ClusterView: everything a cluster rule may ask of the cluster. Rules never do
// I/O; they read one of these. Implementations: in-memory (tests, CLI --state),
// informer-backed (server, reconciler), live read-only lookups (CLI --cluster).
import type { Issuer, Singlestore, SinglestoreOpsRequest } from '../api/types.js';

export interface ClusterView {
  getSinglestore(namespace: string, name: string): Singlestore | undefined;
  /** Every SinglestoreOpsRequest in `namespace` whose spec.databaseRef.name is `database`. */
  listOpsRequests(namespace: string, database: string): SinglestoreOpsRequest[];
  getIssuer(namespace: string, name: string): Issuer | undefined;
  getClusterIssuer(name: string): Issuer | undefined;
}
