import { definePackageBuild } from '../../tooling/config/tsup.ts'

export default definePackageBuild({
  entry: { main: 'src/main.ts' },
  platform: 'node',
  overrides: { dts: false },
})
