// The small ports the reconciler acts through. Two implementations: client-node
// adapters (./client-ports.ts) and in-memory ones for tests and benchmarks
// (test/support/memory-ports.ts). Errors carry the HTTP status in `code`, as
// client-node's ApiException does, so 404 / 409 / 429 are told apart the same way.
import type {
  Certificate,
  Issuer,
  KubeObject,
  PetSet,
  Pod,
  Singlestore,
  SinglestoreOpsRequest,
} from '../api/types.js';

export type MergePatch = Record<string, unknown>;

/** An error with the API server's status code (404, 409, 429, ...). */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

/** The HTTP status of an error from a port (client-node ApiException.code, or ours). */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/**
 * What the API server said, for people: the Status body's message and its causes'
 * messages (client-node's ApiException message also carries the raw body and every
 * response header); the error's own message otherwise.
 */
export function statusMessage(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { body?: unknown; message?: unknown };
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      body = undefined;
    }
  }
  const st = (typeof body === 'object' && body !== null ? body : {}) as { message?: unknown; details?: { causes?: { message?: unknown }[] } };
  if (typeof st.message === 'string' && st.message) {
    const causes = (st.details?.causes ?? []).map((c) => c.message).filter((m): m is string => typeof m === 'string' && m !== '');
    return causes.length ? `${st.message} (${causes.join('; ')})` : st.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;
export const isConflict = (e: unknown): boolean => statusOf(e) === 409;
export const isTooManyRequests = (e: unknown): boolean => statusOf(e) === 429;

export interface DatabasePort {
  get(namespace: string, name: string): Promise<Singlestore | undefined>;
  /** Merge patch of metadata/spec. */
  patch(namespace: string, name: string, patch: MergePatch): Promise<Singlestore>;
  /** Merge patch through the status subresource; put metadata.resourceVersion in the
   *  patch for an optimistic write (409 when it moved). */
  patchStatus(namespace: string, name: string, patch: MergePatch): Promise<Singlestore>;
}

export interface OpsRequestPort {
  get(namespace: string, name: string): Promise<SinglestoreOpsRequest | undefined>;
  /** Ops requests in one namespace. */
  list(namespace: string): Promise<SinglestoreOpsRequest[]>;
  /** Merge patch through the status subresource (with metadata.resourceVersion: 409 when stale). */
  patchStatus(namespace: string, name: string, patch: MergePatch): Promise<SinglestoreOpsRequest>;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A list/watch source of ops requests (all namespaces, or one). */
export interface OpsRequestSource {
  /** Calls `onEvent` for every object (ADDED for the initial list), then for changes. */
  start(onEvent: (type: WatchEventType, obj: SinglestoreOpsRequest) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface CertificatePort {
  get(namespace: string, name: string): Promise<Certificate | undefined>;
  create(namespace: string, cert: Certificate): Promise<Certificate>;
  patch(namespace: string, name: string, patch: MergePatch): Promise<Certificate>;
  /** Merge patch through the status subresource (how `cmctl renew` sets Issuing). */
  patchStatus(namespace: string, name: string, patch: MergePatch): Promise<Certificate>;
  /** Deleting a missing object is not an error. */
  delete(namespace: string, name: string): Promise<void>;
}

/** The reconciler never reads a Secret (names are derived; it needs no `get` on
 *  Secrets): it only deletes them, when TLS is removed. */
export interface SecretPort {
  /** Deleting a missing object is not an error (404 is success). */
  delete(namespace: string, name: string): Promise<void>;
}

export interface PetSetPort {
  get(namespace: string, name: string): Promise<PetSet | undefined>;
  patch(namespace: string, name: string, patch: MergePatch): Promise<PetSet>;
}

export interface PodPort {
  get(namespace: string, name: string): Promise<Pod | undefined>;
  /** Eviction API: 429 when a PodDisruptionBudget blocks it; 404 when gone. `uid` is a
   *  precondition: the eviction only applies to that pod instance. */
  evict(namespace: string, name: string, uid?: string): Promise<void>;
}

export interface EventPort {
  emit(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface IssuerPort {
  getIssuer(namespace: string, name: string): Promise<Issuer | undefined>;
  getClusterIssuer(name: string): Promise<Issuer | undefined>;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeasePort {
  get(namespace: string, name: string): Promise<Lease | undefined>;
  /** 409 when it already exists. */
  create(namespace: string, lease: Lease): Promise<Lease>;
  /** Replace with metadata.resourceVersion: 409 when someone else wrote it first. */
  replace(namespace: string, name: string, lease: Lease): Promise<Lease>;
}

export interface Ports {
  databases: DatabasePort;
  opsRequests: OpsRequestPort;
  certificates: CertificatePort;
  secrets: SecretPort;
  petSets: PetSetPort;
  pods: PodPort;
  events: EventPort;
  issuers: IssuerPort;
  leases: LeasePort;
}

/** A timer a Clock set: cancel() drops it (nothing happens once it has fired). */
export interface Timer {
  cancel(): void;
}

/** The controller's only clock, and its timers on the same time line: milliseconds since
 *  the epoch, and callbacks after a delay (a fake clock in tests moves both). */
export interface Clock {
  now(): number;
  /** Calls fn once, ms from now. */
  setTimeout(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = globalThis.setTimeout(fn, ms);
    return { cancel: () => globalThis.clearTimeout(handle) };
  },
};

/** Lease times are MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
