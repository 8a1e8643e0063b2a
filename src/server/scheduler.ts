// When the app's work runs: the two implementations of the Scheduler the admission
// routes take (src/server/admission-route.ts).
//
//   immediateScheduler — decides in the request's own handler and records right after
//     the answer is written. No queue, nothing left for later: what tests use, so a
//     decision's log line and metrics are there as soon as inject() resolves.
//   batchedScheduler() — production (main, and what `npm run bench` measures): the
//     decisions of one event-loop turn are made together (DecisionBatch) and recorded
//     together after the turn's answers are written (AfterAnswer).
//
// What the batched one buys (BENCHMARKS.md, "What made the difference"): under
// saturation the engine runs warm instead of 3-4x slower between requests and the
// answers leave in one burst. Short A/B runs: /validate from 0.55-0.62 to 0.99-1.15 of
// the bare Fastify route's throughput, server CPU from ~85 to ~48 µs per request;
// recording after the answers alone moved /validate from ~0.5 to ~0.74 before batching.
// The price: one setImmediate hop per turn (microseconds when idle) and a log line that
// follows its answer by one turn.
import { performance } from 'node:perf_hooks';
import type { Scheduler } from './admission-route.js';
import type { Outcome } from './decisions.js';

/** Runs each decision at once and each recording right after the answer. */
export const immediateScheduler: Scheduler = {
  decide: (decide) => decide(),
  afterAnswer(record) {
    try {
      record();
    } catch {
      // metrics and logging must not fail an admission answer already sent
    }
  },
  drain() {
    // nothing is ever queued
  },
};

/** DecisionBatch + AfterAnswer: the production scheduler (see the top of this file). */
export function batchedScheduler(opts: { maxBatchMs?: number; now?: () => number } = {}): Scheduler {
  const decisions = new DecisionBatch(opts.maxBatchMs, opts.now);
  const after = new AfterAnswer();
  return {
    decide: (decide) => decisions.run(decide),
    afterAnswer: (record) => after.add(record),
    drain: () => after.drain(),
  };
}

/**
 * The decisions of one turn of the event loop, made together. A review waits (one
 * setImmediate: microseconds when idle) until the turn's requests have been read, then
 * all of them are decided in one loop and their answers written back to back.
 *
 * Why: between two requests handled one by one, the TLS and socket work of each leaves
 * the engine's code and data cold, and the engine ran 3-4x slower than in a loop; and
 * every answer written alone had to wake the waiting client. Each decision is still its
 * own: its own result, its own exception (rejected to its own request).
 * A batch that has run for `maxBatchMs` (one slow review) stops there: the answers
 * decided so far go out, and the rest is decided in the next turn.
 */
export class DecisionBatch {
  private queue: { decide: () => Outcome; resolve: (o: Outcome) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly maxBatchMs = 2,
    private readonly now: () => number = () => performance.now(),
  ) {}

  run(decide: () => Outcome): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ decide, resolve, reject }) === 1) setImmediate(() => this.drain());
    });
  }

  private drain(): void {
    const q = this.queue;
    this.queue = [];
    const started = this.now();
    for (const [i, item] of q.entries()) {
      if (i > 0 && this.now() - started >= this.maxBatchMs) {
        // Nothing can arrive during this synchronous loop: the leftover is the new queue.
        this.queue = q.slice(i);
        setImmediate(() => this.drain());
        return;
      }
      try {
        item.resolve(item.decide());
      } catch (err) {
        item.reject(err);
      }
    }
  }
}

/**
 * Recordings of answered decisions, not yet run. One setImmediate per turn of the event
 * loop runs all of them, after the turn's answers have been written (Node writes an HTTP
 * answer on the next tick; setImmediate runs after the turn's I/O callbacks). Order is
 * kept. A recording that throws (a broken log stream) never takes the process down.
 */
export class AfterAnswer {
  private queue: (() => void)[] = [];

  add(record: () => void): void {
    if (this.queue.push(record) === 1) setImmediate(() => this.drain());
  }

  /** Run everything queued now (also what setImmediate calls). */
  drain(): void {
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    for (const record of q) {
      try {
        record();
      } catch {
        // metrics and logging must not fail an admission answer already sent
      }
    }
  }
}
