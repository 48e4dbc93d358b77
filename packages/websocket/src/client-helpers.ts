// Private pieces shared by the emitter and the subscriber (not exported from the package).
import type { Logger, PrefectCredentials } from '@flowcast/core'
import { notifyListeners } from '@flowcast/core/internal'

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
  notifyListeners(
    [...listeners],
    [next, previous],
    logger,
    '[@flowcast/websocket] a state listener threw',
  )
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
