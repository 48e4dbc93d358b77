import { definePackageBuild } from '../../tooling/config/tsup.ts'

export default definePackageBuild({
  entry: { index: 'src/index.ts', internal: 'src/internal/index.ts', schemas: 'src/schemas.ts' },
  platform: 'neutral',
})
