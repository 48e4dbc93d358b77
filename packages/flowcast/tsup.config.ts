import { definePackageBuild } from '../../tooling/config/tsup.ts'

// One entry for every runtime: it imports no `ws` and no Node built-ins. Under Node,
// `@flowcast/websocket` resolves through its `node` export condition to the entry that
// defaults to `ws`; in browsers to the one that uses the global WebSocket.
export default definePackageBuild({
  entry: { index: 'src/index.ts' },
  platform: 'neutral',
})
