import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineHookTests } from '../../packages/react/vitest.config.ts'

// @flowcast/react's own hook tests, run again under React 18: the same files, with `react`,
// `react-dom` and @testing-library/react taken from this package (React 18) instead of
// packages/react's (React 19).
const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const packageDir = fileURLToPath(new URL('../../packages/react/', import.meta.url))
const exact = (name: string) => ({
  find: new RegExp(`^${name.replace('/', '\\/')}$`),
  replacement: require.resolve(name),
})

const config = defineHookTests()
config.root = packageDir
config.resolve = {
  ...config.resolve,
  alias: [
    'react',
    'react/jsx-runtime',
    'react/jsx-dev-runtime',
    'react-dom',
    'react-dom/client',
    'react-dom/server',
    '@testing-library/react',
  ].map(exact),
}
config.test = {
  ...config.test,
  name: 'react18',
  env: { FLOWCAST_EXPECT_REACT: '18' },
  // Reports stay with this package.
  reporters: process.env.CI
    ? ['default', ['json', { outputFile: `${here}/reports/vitest.json` }]]
    : ['default'],
  typecheck: { enabled: false },
}
export default config
