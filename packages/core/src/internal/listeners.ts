import type { Logger } from '../logger.js'

/**
 * Calls each listener with `args`; a listener that throws is logged at `error` level with
 * `message` (plus `fields` and the thrown value) and does not stop the others.
 *
 * Pass a copy (`[...set]`) when a listener may add listeners that must not run this time.
 */
export function notifyListeners<A extends readonly unknown[]>(
  listeners: Iterable<(...args: A) => unknown>,
  args: A,
  logger: Logger,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
): void {
  for (const listener of listeners) {
    try {
      listener(...args)
    } catch (error) {
      logger.error(message, { ...fields, error: String(error) })
    }
  }
}
