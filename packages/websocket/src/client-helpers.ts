// Private pieces shared by the emitter and the subscriber (not exported from the package).
import type { Logger, PrefectCredentials } from '@flowcast/core'

/**
 * @internal Calls every state listener with the new and the previous state; a listener that
 * throws is logged and does not stop the others.
 */
export function notifyStateListeners<S>(
  listeners: ReadonlySet<(state: S, previous: S) => void>,
  next: S,
  previous: S,
  logger: Logger,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(next, previous)
    } catch (error) {
      logger.error('[@flowcast/websocket] a state listener threw', { error: String(error) })
    }
  }
}

/** @internal The credentials a client was given, for redacting them from messages. */
export function credentialsOf(options: {
  apiKey?: string | undefined
  authString?: string | undefined
}): PrefectCredentials {
  return {
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.authString ? { authString: options.authString } : {}),
  }
}
