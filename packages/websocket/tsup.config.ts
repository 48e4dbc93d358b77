import { definePackageBuild } from '../../tooling/config/tsup.ts'

// Two entries with one API: `index` for browsers and other runtimes (global WebSocket),
// `index.node` for Node (`ws` as the default WebSocket), picked by the `node` condition.
export default definePackageBuild({
  entry: { index: 'src/index.ts', 'index.node': 'src/index.node.ts' },
  platform: 'neutral',
})
