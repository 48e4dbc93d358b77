import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 45_000,
    hookTimeout: 45_000,
    // Under CI, also a JSON report (reports/vitest.json) for the CI summary.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'reports/vitest.json' }]]
      : ['default'],
  },
})
