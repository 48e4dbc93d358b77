import { definePackageTests } from '../../tooling/config/vitest.ts'

const config = definePackageTests()
// The OpenTelemetry packages' `module` builds use extension-less imports that only a bundler
// resolves; Node loads them through their other conditions, as an application would.
const withoutModule = (conditions: string[] | undefined) =>
  conditions?.filter((condition) => condition !== 'module')
config.resolve = { ...config.resolve, conditions: withoutModule(config.resolve?.conditions) }
config.ssr = {
  ...config.ssr,
  resolve: { ...config.ssr?.resolve, conditions: withoutModule(config.ssr?.resolve?.conditions) },
}

export default config
