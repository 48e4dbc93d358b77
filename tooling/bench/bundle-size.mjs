// What flowcast costs a browser page, measured as an app bundles it: esbuild, platform browser,
// ESM, minified, from the built packages (`dist`, as published), then gzip -9. One measuring
// function for the CI budget check (tooling/scripts/size-check.mjs, `pnpm size`) and for
// `pnpm bench` (packages/websocket/bench/bundle.bench.mjs), so both report the same figures.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Modules that must never be in a browser graph, whatever the size: Node-only code (`ws`,
 * `node:*` built-ins), the fake server, a JSON Schema validator, and zod (the main entries
 * validate without it; its schemas live in `@flowcast/core/schemas`).
 */
const forbidden = [
  { what: 'ws', test: /(^|\/)node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?ws\// },
  { what: 'node:* built-ins', test: /^node:/ },
  { what: '@flowcast/fake-server', test: /(^|\/)packages\/fake-server\/|@flowcast\/fake-server/ },
  {
    what: 'a JSON Schema validator (ajv)',
    test: /(^|\/)node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?ajv/,
  },
  { what: 'zod', test: /(^|\/)node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?zod\// },
]

/**
 * The bundles measured, in gzip bytes (1 KB = 1,000 B). `budgetGz` is the limit the size check
 * holds; a bundle without one is measured and reported only.
 */
export const bundles = [
  {
    id: 'core_websocket',
    name: 'a waiter: core + websocket subscriber and run-state source + run watcher',
    // resolveDir: a package that can import every module of the entry.
    resolveDir: 'packages/websocket',
    entry: [
      "export { createEventsSubscriber, createWebSocketRunStateSource } from '@flowcast/websocket'",
      "export { createRunWatcher, waitForFlowRun } from '@flowcast/core'",
    ].join('\n'),
    budgetGz: 25_000,
  },
  {
    id: 'core_websocket_all',
    name: 'core + all of websocket (the waiter plus the events emitter)',
    resolveDir: 'packages/websocket',
    entry: [
      "export { createEventsEmitter, createEventsSubscriber, createWebSocketRunStateSource } from '@flowcast/websocket'",
      "export { createRunWatcher, waitForFlowRun } from '@flowcast/core'",
    ].join('\n'),
  },
  {
    id: 'flowcast',
    name: "import { createFlowcast } from 'flowcast'",
    resolveDir: 'packages/flowcast',
    entry: "export { createFlowcast } from 'flowcast'",
    budgetGz: 30_000,
  },
  {
    id: 'flowcast_follow',
    name: "import { createFlowcast, followFlowRun } from 'flowcast' (states and logs)",
    resolveDir: 'packages/flowcast',
    entry: "export { createFlowcast, followFlowRun } from 'flowcast'",
  },
]

/**
 * Bundles one entry of {@link bundles} for the browser and measures it.
 * @returns `{ id, name, budgetGz, min, gz, inputs, problem }`: `min` and `gz` in bytes (null
 *   when it cannot be bundled), `problem` a sentence when it cannot be bundled for a browser
 *   or pulls in a forbidden module, else null
 */
export async function measureBundle(bundle) {
  const base = {
    id: bundle.id,
    name: bundle.name,
    budgetGz: bundle.budgetGz ?? null,
  }
  let result
  try {
    result = await build({
      stdin: {
        contents: bundle.entry,
        resolveDir: fileURLToPath(new URL(bundle.resolveDir, `file://${root}/`)),
        loader: 'js',
      },
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
  } catch (error) {
    const messages = (error.errors ?? [{ text: String(error) }]).map((e) => e.text)
    return {
      ...base,
      min: null,
      gz: null,
      inputs: 0,
      problem: `does not bundle for the browser: ${[...new Set(messages)].slice(0, 5).join('; ')}`,
    }
  }
  const code = result.outputFiles[0].contents
  const inputs = Object.keys(result.metafile.inputs)
  const found = forbidden
    .filter(({ test }) => inputs.some((path) => test.test(path)))
    .map(({ what }) => what)
  return {
    ...base,
    min: code.length,
    gz: gzipSync(code, { level: 9 }).length,
    inputs: inputs.length,
    problem: found.length > 0 ? `forbidden in a browser graph: ${found.join(', ')}` : null,
  }
}

/** Whether a measured bundle is browser-clean and within its budget (or has none). */
export const withinBudget = (measured) =>
  measured.problem === null &&
  measured.gz !== null &&
  (measured.budgetGz === null || measured.gz <= measured.budgetGz)
