import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

// The instrument helpers (what turns a part's reports into metrics and spans) travel with an
// `Instrumentation`: a browser app that never creates one must not bundle them. The sizes
// themselves are checked by `pnpm size`.
const waiter = [
  "export { createEventsSubscriber, createEventsEmitter, createLogsSubscriber } from '@flowcast/websocket'",
  "export { createRunWatcher } from '@flowcast/core'",
]

async function bundle(lines: string[]) {
  const result = await build({
    stdin: {
      contents: lines.join('\n'),
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@flowcast/source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const [output] = Object.values(result.metafile.outputs)
  const included = Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path)
  return { text: result.outputFiles[0]?.text ?? '', included }
}

// One metric name per helper: the events/logs subscribers', the emitter's, the run watcher's.
const metricNames = [
  'flowcast.websocket.connections',
  'messaging.client.consumed.messages',
  'flowcast.emitter.confirmed',
  'flowcast.wait.outcomes',
]
// The helpers' modules, where they live now and where they lived before.
const helperModule = /(^|\/)(core\/src\/instruments\/|src\/instruments\.ts$|wait-instrumentation)/

describe('instrument helpers in a browser bundle', () => {
  it('are left out of the subscribers, emitter and run watcher without instrumentation', async () => {
    const { text, included } = await bundle(waiter)
    expect(included.some((path) => /(^|\/)src\/subscriber\.ts$/.test(path))).toBe(true)
    expect(included.filter((path) => helperModule.test(path))).toEqual([])
    for (const name of metricNames) expect(text).not.toContain(name)
  })

  it('come in with createInstrumentation', async () => {
    const { text, included } = await bundle([
      ...waiter,
      "export { createInstrumentation } from '@flowcast/core'",
    ])
    expect(included.filter((path) => helperModule.test(path)).length).toBeGreaterThan(0)
    for (const name of metricNames) expect(text).toContain(name)
  })
})
