import { FlowcastError } from './errors.js'

/**
 * A set of timing defaults for every flowcast client.
 *
 * - `'default'`: production intervals (polling every second and slower, watchdogs of
 *   10–15 s, reconnects from 500 ms).
 * - `'test'`: for tests against a fake Prefect server on loopback: polling every 10 ms,
 *   backoff from 10 ms, watchdogs of 1–2 s, so a wait ends tens of milliseconds after the run
 *   does. Each package exports its values (`runWatcherTestProfile`,
 *   `pollingRunStateSourceTestProfile`, `subscriberTestProfile`, …); options you pass
 *   explicitly win over them.
 */
export type FlowcastProfile = 'default' | 'test'

/**
 * Checks a `profile` option: `undefined` is `'default'`; anything else but `'test'` throws.
 * @throws FlowcastError `INVALID_OPTIONS`
 * @example
 * ```ts
 * const test = resolveProfile(options.profile, '@flowcast/polling') === 'test'
 * ```
 */
export function resolveProfile(value: unknown, packageName: string): FlowcastProfile {
  if (value === undefined || value === 'default') return 'default'
  if (value === 'test') return 'test'
  throw new FlowcastError(
    'INVALID_OPTIONS',
    `[${packageName}] invalid options: profile must be 'default' or 'test', got ${JSON.stringify(value)}`,
  )
}
