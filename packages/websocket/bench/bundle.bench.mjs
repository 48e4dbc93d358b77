// What the WebSocket transport costs a browser page: core + websocket + the run watcher,
// bundled by esbuild for the browser from the built packages, minified and gzipped. Measured
// only (no target yet):  node packages/websocket/bench/bundle.bench.mjs  (or `pnpm bench`).
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { figure, writeFigures } from '../../../tooling/bench/figures.mjs'

const entry = `
export { createEventsEmitter, createEventsSubscriber, createWebSocketRunStateSource } from '@flowcast/websocket'
export { createRunWatcher, waitForFlowRun } from '@flowcast/core'
`
const result = await build({
  stdin: { contents: entry, resolveDir: new URL('.', import.meta.url).pathname, loader: 'js' },
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  write: false,
  metafile: true,
  logLevel: 'error',
})
const code = result.outputFiles[0].contents
const gz = gzipSync(code, { level: 9 }).length
const inputs = Object.keys(result.metafile.inputs)
// Anything Node-only in the browser graph is a bug, whatever the size.
const nodeOnly = inputs.filter((path) => /(^|\/)ws\/|node:/.test(path))
if (nodeOnly.length > 0) throw new Error(`bench: Node-only modules bundled: ${nodeOnly.join(', ')}`)

writeFigures(
  new URL('./bundle-results.json', import.meta.url),
  [
    figure({
      id: 'bundle.core_websocket_gz',
      name: 'browser bundle of core + websocket + run watcher (esbuild, minified, gzip -9)',
      value: gz,
      unit: 'B',
    }),
    figure({
      id: 'bundle.core_websocket_min',
      name: 'the same bundle, minified, before gzip',
      value: code.length,
      unit: 'B',
    }),
  ],
  `bundle size (esbuild, ${inputs.length} input files)`,
)
