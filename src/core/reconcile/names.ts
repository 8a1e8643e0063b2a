// KubeDB's vocabulary for a ReconfigureTLS ops request (../../../../shared/DOMAIN.md,
// "How KubeDB's ops-manager runs one") and the object names KubeDB derives. PURE.
import type { Singlestore, SinglestoreOpsRequest } from '../../api/types.js';

/** Condition types (== reasons) a user sees on the ops request in `kubectl describe`. */
export const Cond = {
  ReconfigureTLS: 'ReconfigureTLS',
  DatabasePauseSucceeded: 'DatabasePauseSucceeded',
  CertificateSynced: 'CertificateSynced',
  IssueCertificatesSucceeded: 'IssueCertificatesSucceeded',
  UpdatePetSets: 'UpdatePetSets',
  RestartNodes: 'RestartNodes',
  UpdateDatabase: 'UpdateDatabase',
  DatabaseResumeSucceeded: 'DatabaseResumeSucceeded',
  Successful: 'Successful',
  Failed: 'Failed',
  Skipped: 'Skipped',
} as const;

export const EVICT_POD_PREFIX = 'EvictPod--';
export const CHECK_POD_READY_PREFIX = 'CheckPodReady--';
export const evictPodCondition = (pod: string): string => `${EVICT_POD_PREFIX}${pod}`;
export const checkPodReadyCondition = (pod: string): string => `${CHECK_POD_READY_PREFIX}${pod}`;

/** The database status condition that pauses KubeDB's provisioner. */
export const PAUSED = 'Paused';

export const TLS_VOLUME = 'tls-volume';
export const TLS_MOUNT_PATH = '/etc/memsql/certs';

/** Who paused the database: the `reason` of the Paused condition we add. */
export function pauseReason(req: SinglestoreOpsRequest): string {
  return `SinglestoreOpsRequest ${req.metadata?.namespace ?? 'default'}/${req.metadata?.name ?? ''}`;
}

export function requestKey(req: SinglestoreOpsRequest): string {
  return `${req.metadata?.namespace ?? 'default'}/${req.metadata?.name ?? ''}`;
}

/** Certificate object name KubeDB uses for an alias: `<db>-<alias>-cert`. */
export function certificateName(db: string, alias: string): string {
  return `${db}-${alias}-cert`;
}

/** PetSets of a Singlestore, aggregators first; standalone is `<db>`. */
export function petSetNames(db: Singlestore): { name: string; role: 'aggregator' | 'leaf' | 'standalone' }[] {
  const name = db.metadata?.name ?? '';
  const topo = db.spec?.topology;
  if (!topo) return [{ name, role: 'standalone' }];
  const out: { name: string; role: 'aggregator' | 'leaf' | 'standalone' }[] = [];
  const part = (role: 'aggregator' | 'leaf', suffix: string | undefined): string =>
    suffix ? `${name}-${suffix}-${role}` : `${name}-${role}`;
  if (topo.aggregator) out.push({ name: part('aggregator', topo.aggregator.suffix), role: 'aggregator' });
  if (topo.leaf) out.push({ name: part('leaf', topo.leaf.suffix), role: 'leaf' });
  return out;
}
