// Fastify makes a child logger for every request ({reqId}). With pino that costs a few
// microseconds per request (a new logger object and its serialised bindings) even when
// nothing is logged through it — and the admission routes log their one decision line
// through the app logger with the reqId as a field. This factory hands each request a
// small stand-in that makes the real pino child only when a line at an enabled level is
// written through `request.log` (a rejected body, an unexpected error, debug lines), so
// those lines come out exactly as before.
import type { FastifyBaseLogger } from 'fastify';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/** A logger that can answer whether a level is enabled (pino's does). */
interface LevelAware {
  isLevelEnabled?(level: string): boolean;
}

/** Whether `log` writes lines at `level`; a logger that cannot tell is taken to write them. */
export function levelEnabled(log: FastifyBaseLogger, level: string): boolean {
  const l = log as FastifyBaseLogger & LevelAware;
  return typeof l.isLevelEnabled === 'function' ? l.isLevelEnabled(level) : true;
}

export class LazyChildLogger {
  private realChild: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The pino child Fastify would have made, made on first use. */
  private real(): FastifyBaseLogger {
    this.realChild ??= this.parent.child(this.bindings, this.options);
    return this.realChild;
  }

  private enabled(level: Level): boolean {
    return this.realChild !== undefined || levelEnabled(this.parent, level);
  }

  get level(): string {
    return this.realChild !== undefined ? this.realChild.level : this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return levelEnabled(this.realChild ?? this.parent, level);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {
    // nothing, as pino's silent
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.enabled(level)) return;
    const real = this.real();
    Reflect.apply(real[level], real, args);
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: a lazy child, unless the route asks for its own level
 * or serializers (then pino must build the child to apply them: made at once).
 */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  const o = options as { level?: string; serializers?: unknown } | undefined;
  if (o && (o.level !== undefined || o.serializers !== undefined)) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, options);
}
