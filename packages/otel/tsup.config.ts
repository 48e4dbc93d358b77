import { definePackageBuild } from '../../tooling/config/tsup.ts'

export default definePackageBuild({
  entry: { index: 'src/index.ts' },
  platform: 'neutral',
})
