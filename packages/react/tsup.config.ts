import { definePackageBuild } from '../../tooling/config/tsup.ts'

export default definePackageBuild({
  entry: { index: 'src/index.ts' },
  // Runs in browsers and in Node (server rendering): no Node built-ins.
  platform: 'neutral',
})
