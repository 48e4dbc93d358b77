import { systemClock, type Clock, type Instrumentation } from '@flowcast/core'
import { instrumentsOf, type HttpInstruments } from '@flowcast/core/internal'

/**
 * @internal A REST client's instruments, or `undefined` (nothing created) without
 * instrumentation.
 * @throws FlowcastError `INVALID_OPTIONS` when `instrumentation` was not made by
 *   `createInstrumentation`
 */
export function httpInstrumentsFor(
  options: { instrumentation?: Instrumentation | undefined; clock?: Clock | undefined },
  apiUrl: string,
): HttpInstruments | undefined {
  const instruments = instrumentsOf(options.instrumentation, '@flowcast/polling')
  if (!instruments) return undefined
  const clock = options.clock ?? systemClock
  return instruments.http(apiUrl, () => clock.now())
}
