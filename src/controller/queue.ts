// A keyed work queue: one worker per key at a time (a database's requests are handled
// serially, in order), different keys in parallel up to `concurrency`. A key added while
// it runs is run again right after; a worker's answer schedules a delayed re-run, on the
// clock it is given.
import type { Clock, Timer } from '../kube/ports.js';

export interface QueueOptions {
  concurrency: number;
  /** Delays are measured and their timers set on it. */
  clock: Clock;
  /** Delay after a worker throws (default 5s). */
  errorDelayMs?: number;
  onError?: (key: string, err: unknown) => void;
}

export class KeyedQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: Timer }>();
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly worker: (key: string) => Promise<number | undefined>,
    private readonly o: QueueOptions,
  ) {}

  /** Run `key` now (delayMs 0) or after delayMs (an earlier pending run wins). */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const at = this.o.clock.now() + delayMs;
      const t = this.timers.get(key);
      if (t && t.at <= at) return;
      t?.timer.cancel();
      const timer = this.o.clock.setTimeout(() => {
        this.timers.delete(key);
        this.add(key, 0);
      }, delayMs);
      this.timers.set(key, { at, timer });
      return;
    }
    const t = this.timers.get(key);
    if (t) {
      t.timer.cancel();
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  get size(): number {
    return this.ready.length + this.running.size;
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.o.concurrency && this.ready.length) {
      const key = this.ready.shift();
      if (key === undefined) break;
      this.queued.delete(key);
      this.running.set(key, this.run(key));
    }
    if (this.running.size === 0 && this.ready.length === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private async run(key: string): Promise<void> {
    let delay: number | undefined;
    try {
      delay = await this.worker(key);
    } catch (err) {
      this.o.onError?.(key, err);
      delay = this.o.errorDelayMs ?? 5000;
    }
    this.running.delete(key);
    if (this.dirty.delete(key)) this.add(key, 0);
    else if (delay !== undefined) this.add(key, delay);
    this.pump();
  }

  /** Resolves when nothing runs and nothing is ready (timers may still be pending). */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Drops pending work and timers, waits for running workers to return. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) t.timer.cancel();
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.dirty.clear();
    await Promise.allSettled([...this.running.values()]);
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
