// KubeDB's vocabulary for a ReconfigureTLS ops request (../../../../shared/DOMAIN.md,
// "How KubeDB's ops-manager runs one") and the object names KubeDB derives. PURE.
import type { SinglestoreOpsRequest } from '../../api/types.js';
import { namespaceOf } from '../meta.js';

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

export const GET_POD_PREFIX = 'GetPod--';
export const EVICT_POD_PREFIX = 'EvictPod--';
export const CHECK_POD_READY_PREFIX = 'CheckPodReady--';
export const getPodCondition = (pod: string): string => `${GET_POD_PREFIX}${pod}`;
export const evictPodCondition = (pod: string): string => `${EVICT_POD_PREFIX}${pod}`;
export const checkPodReadyCondition = (pod: string): string => `${CHECK_POD_READY_PREFIX}${pod}`;

/** The condition on the request that carries the reconciler's state as data (./state.ts);
 *  not a step: timeouts and step lists ignore it. */
export const STATE_CONDITION = 'ReconcilerState';

/** The database status condition that pauses KubeDB's provisioner. */
export const PAUSED = 'Paused';

export const TLS_VOLUME = 'tls-volume';
export const TLS_MOUNT_PATH = '/etc/memsql/certs';

export function requestKey(req: SinglestoreOpsRequest): string {
  return `${namespaceOf(req)}/${req.metadata?.name ?? ''}`;
}

