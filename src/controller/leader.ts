// Leader election with a coordination.k8s.io/v1 Lease, after client-go's leaderelection:
// a candidate takes the Lease when it is free or its holder has not renewed it for a
// lease duration (measured on the candidate's own clock, from when it last saw the
// record change, so clock skew between replicas does not matter); the leader renews
// every retry period and steps down when it could not renew within the renew deadline
// or sees another holder. On stop the leader releases the Lease (holder cleared).
import { isConflict, isNotFound, microTime, type Clock, type Lease, type LeasePort, type Timer } from '../kube/ports.js';
import { silentLogger, type Logger } from './types.js';

export interface LeaderOptions {
  leases: LeasePort;
  namespace: string;
  name: string;
  identity: string;
  clock: Clock;
  leaseDurationMs?: number; // 15s
  renewDeadlineMs?: number; // 10s
  retryPeriodMs?: number; // 2s
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  logger?: Logger;
}


export class LeaderElector {
  private leader = false;
  private lastRenew = 0;
  private observed: { key: string; at: number } | undefined;
  private timer: Timer | undefined;
  private running = false;
  private stopped = false;
  private readonly dur: number;
  private readonly deadline: number;
  private readonly retry: number;
  private readonly log: Logger;

  constructor(private readonly o: LeaderOptions) {
    this.dur = o.leaseDurationMs ?? 15_000;
    this.deadline = o.renewDeadlineMs ?? 10_000;
    this.retry = o.retryPeriodMs ?? 2_000;
    this.log = o.logger ?? silentLogger;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** One acquire-or-renew attempt: 'ok' (we hold it), 'held' (someone else does), 'failed'. */
  async tryAcquireOrRenew(): Promise<'ok' | 'held' | 'failed'> {
    const { leases, namespace, name, identity, clock } = this.o;
    const now = clock.now();
    let cur: Lease | undefined;
    try {
      cur = await leases.get(namespace, name);
    } catch (err) {
      if (!isNotFound(err)) return 'failed';
    }
    const secs = Math.ceil(this.dur / 1000);
    if (!cur) {
      try {
        await leases.create(namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: secs, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return 'ok';
      } catch {
        return 'failed';
      }
    }
    const spec = cur.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${cur.metadata?.resourceVersion ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };
    const holder = spec.holderIdentity ?? '';
    const theirDur = (spec.leaseDurationSeconds ?? secs) * 1000;
    if (holder !== '' && holder !== identity && this.observed.at + theirDur > now) return 'held';
    const mine = holder === identity;
    const next: Lease = {
      ...cur,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: secs,
        renewTime: microTime(now),
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await leases.replace(namespace, name, next);
      return 'ok';
    } catch (err) {
      if (isConflict(err)) return 'failed';
      return 'failed';
    }
  }

  /** One round of the election loop (the timer calls it every retry period). */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const r = await this.tryAcquireOrRenew().catch(() => 'failed' as const);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may set it during the await; TypeScript keeps the narrowing from before it
    if (this.stopped) return;
    const now = this.o.clock.now();
    if (r === 'ok') {
      this.lastRenew = now;
      if (!this.leader) {
        this.leader = true;
        this.log.info({ identity: this.o.identity, lease: `${this.o.namespace}/${this.o.name}` }, 'became leader');
        this.o.onStartedLeading?.();
      }
      return;
    }
    if (this.leader && (r === 'held' || now - this.lastRenew > this.deadline)) {
      this.leader = false;
      this.log.warn({ identity: this.o.identity, lease: `${this.o.namespace}/${this.o.name}` }, 'lost leadership');
      this.o.onStoppedLeading?.();
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = async (): Promise<void> => {
      if (!this.running) return;
      await this.tick();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may clear it during the await; TypeScript keeps the narrowing from before it
      if (this.running) this.timer = this.o.clock.setTimeout(() => void loop(), this.retry);
    };
    void loop();
  }

  /** Stops the loop; a leader releases the Lease so a peer takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    this.timer?.cancel();
    if (!this.leader) return;
    this.leader = false;
    this.o.onStoppedLeading?.();
    const { leases, namespace, name, identity, clock } = this.o;
    try {
      const cur = await leases.get(namespace, name);
      if (cur?.spec?.holderIdentity === identity) {
        await leases.replace(namespace, name, {
          ...cur,
          spec: { ...cur.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(clock.now()) },
        });
      }
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not release the lease');
    }
  }
}
