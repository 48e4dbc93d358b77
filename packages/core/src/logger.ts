/**
 * Where flowcast libraries send diagnostics. Library code never writes to the console;
 * pass a logger (e.g. `console`, pino, or your own) to see what happens. `data` never
 * contains secrets.
 */
export interface Logger {
  /** Fine-grained diagnostics (frames, timers). */
  debug(message: string, data?: Record<string, unknown>): void
  /** Lifecycle milestones (connected, reconnected). */
  info(message: string, data?: Record<string, unknown>): void
  /** Recoverable problems (skipped frames, retries). */
  warn(message: string, data?: Record<string, unknown>): void
  /** Failures the caller is also told about. */
  error(message: string, data?: Record<string, unknown>): void
}

const noop = (): void => {}

/** A {@link Logger} that drops everything: the default of every flowcast option. */
export const silentLogger: Logger = /* @__PURE__ */ Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
})
