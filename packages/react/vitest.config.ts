import { definePackageTests, sourceCondition } from '../../tooling/config/vitest.ts'

/**
 * The hooks run in jsdom under React 19 here (tooling/react18 runs the same files under
 * React 18). Modules resolve as in Node, not as in a browser: the fake server and `ws` run in
 * the test process; the hooks reach them over a real loopback port.
 */
export function defineHookTests(): ReturnType<typeof definePackageTests> {
  const config = definePackageTests({
    test: {
      include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts'],
      environment: 'jsdom',
      env: { FLOWCAST_EXPECT_REACT: '19' },
    },
  })
  config.resolve = {
    ...config.resolve,
    conditions: [sourceCondition, 'module', 'node', 'development|production'],
  }
  return config
}

export default defineHookTests()
