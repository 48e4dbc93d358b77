import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { expect, test } from 'vitest'

// What a browser app bundles when it imports the subscriber, emitter, run-state source and run
// watcher: no schema library (core validates without zod; its zod schemas are a separate
// entry), and nothing Node-only. The sizes themselves are checked by `pnpm size`.
test('the browser graph of core + websocket holds no zod, ws or node:* module', async () => {
  const result = await build({
    stdin: {
      contents: [
        "export { createEventsEmitter, createEventsSubscriber, createWebSocketRunStateSource } from '@flowcast/websocket'",
        "export { createRunWatcher, waitForFlowRun, parseEvent, parseEventFilter, parseFlowRun, parseLogFilter } from '@flowcast/core'",
      ].join('\n'),
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@flowcast/source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(result.metafile.inputs)
  expect(inputs.some((path) => path.includes('/core/src/model-checks.ts'))).toBe(true)
  expect(inputs.filter((path) => /\/(zod|ws)\/|^node:/.test(path))).toEqual([])
  expect(inputs.some((path) => path.includes('/core/src/schemas.ts'))).toBe(false)
})
