import { definePackageTests } from '../config/vitest.ts'

// One attack at a time: the figures (heap, attempts per minute) are only meaningful alone.
export default definePackageTests({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    // Heap figures after a full collection.
    execArgv: ['--expose-gc'],
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
})
