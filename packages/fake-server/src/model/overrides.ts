import type { RestOverride } from '../types.js'
import { compilePathPattern } from './util.js'

/** A request as overrides see it. */
export interface OverrideRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: unknown
}

/** A response an override gave. */
export interface OverrideResponse {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** REST overrides registered with `use()`, newest first (msw's `use`). */
export class Overrides {
  #entries: { override: RestOverride; pattern: RegExp }[] = []

  use(overrides: readonly RestOverride[]): void {
    this.#entries.unshift(
      ...overrides.map((override) => ({ override, pattern: compilePathPattern(override.path) })),
    )
  }

  clear(): void {
    this.#entries = []
  }

  /** The first override answering a request, or `undefined`. */
  async run(request: OverrideRequest): Promise<OverrideResponse | undefined> {
    for (const { override, pattern } of this.#entries) {
      if (override.method && override.method.toUpperCase() !== request.method) continue
      if (!pattern.test(request.path)) continue
      const response = await override.respond(request)
      if (response) return response
    }
    return undefined
  }
}
