import { defaultServerConditions, defaultClientConditions } from 'vite'
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config'

/** Workspace packages resolve each other's `src/` through this export condition. */
export const sourceCondition = '@flowcast/source'

/**
 * The one vitest preset every flowcast package uses: unit tests beside the code
 * (`src/**\/*.test.ts`), real-socket integration tests in `test/`, type tests in
 * `*.test-d.ts`, and workspace imports resolved to source so no build is needed.
 */
export function definePackageTests(overrides: ViteUserConfig = {}) {
  return mergeConfig(
    defineConfig({
      resolve: { conditions: [sourceCondition, ...defaultClientConditions] },
      ssr: { resolve: { conditions: [sourceCondition, ...defaultServerConditions] } },
      test: {
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'] },
        testTimeout: 20_000,
        hookTimeout: 20_000,
        // Under CI every run also writes a JSON report that tooling/scripts/test-summary.mjs
        // adds up; FLOWCAST_VITEST_REPORT names it when one package runs twice (Node 24).
        reporters: process.env.CI
          ? [
              'default',
              [
                'json',
                { outputFile: `reports/${process.env.FLOWCAST_VITEST_REPORT ?? 'vitest'}.json` },
              ],
            ]
          : ['default'],
      },
    }),
    overrides,
  )
}
