import { definePackageBuild } from '../../tooling/config/tsup.ts'

export default definePackageBuild({
  entry: { index: 'src/index.ts', node: 'src/node.ts', web: 'src/web.ts', redis: 'src/redis.ts' },
  platform: 'node',
})
