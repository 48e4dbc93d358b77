import { definePackageBuild } from '../../tooling/config/tsup.ts'

// Two entries with one API: `index` for browsers and other runtimes, `index.node` for Node
// (it adds the explanation of undici's network errors), picked by the `node` condition.
export default definePackageBuild({
  entry: { index: 'src/index.ts', 'index.node': 'src/index.node.ts' },
  platform: 'node',
})
