import { definePackageBuild } from '../../tooling/config/tsup.ts'

// `index` is Node-only (node:http, ws); `msw` and `mock-socket` import no Node built-ins (checked by
// test/browser-safety.test.ts), so one Node-targeted build with shared chunks serves all three.
export default definePackageBuild({
  entry: { index: 'src/index.ts', msw: 'src/msw.ts', 'mock-socket': 'src/mock-socket.ts' },
  platform: 'node',
})
