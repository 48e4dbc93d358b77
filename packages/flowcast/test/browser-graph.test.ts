// The SDK's main entry as a browser app bundles it: esbuild with the browser platform and the
// conditions a browser bundler uses. Its import graph must hold no `ws`, no Node built-in, no
// fake server and no JSON Schema validator.
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'
import { describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

async function browserGraph(conditions: string[]): Promise<{ inputs: string[]; code: string }> {
  const result = await build({
    stdin: {
      contents: "export { createFlowcast } from 'flowcast'",
      resolveDir: packageDir,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: packageDir,
  })
  const metafile: Metafile = result.metafile
  return { inputs: Object.keys(metafile.inputs), code: result.outputFiles[0]!.text }
}

const forbidden = [
  { what: 'ws', pattern: /(^|\/)node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?ws\// },
  { what: 'a Node built-in', pattern: /^node:|^(fs|http|https|net|tls|crypto|stream|zlib|util)$/ },
  { what: 'the fake server', pattern: /fake-server\// },
  { what: 'a JSON Schema validator', pattern: /(^|\/)(ajv|ajv-formats|json-schema)[^/]*\// },
  { what: 'the webhook Node/Redis adapters', pattern: /webhook\/(src|dist)\/(node|redis)\./ },
]

describe('the browser graph of `flowcast`', () => {
  for (const [label, conditions] of [
    ['workspace sources', ['@flowcast/source', 'browser', 'import', 'default']],
    ['built packages', ['browser', 'import', 'default']],
  ] as const) {
    it(`holds no ws, node:*, fake server or JSON Schema validator (${label})`, async () => {
      const { inputs, code } = await browserGraph([...conditions])
      expect(inputs.some((input) => /^(src|dist)\/index\.(ts|js)$/.test(input))).toBe(true)
      // The browser resolution of @flowcast/websocket: the entry that uses the global WebSocket.
      expect(inputs.some((input) => /websocket\/(src|dist)\/index\.(ts|js)$/.test(input))).toBe(
        true,
      )
      expect(inputs.filter((input) => /websocket\/(src|dist)\/index\.node\./.test(input))).toEqual(
        [],
      )
      for (const { what, pattern } of forbidden) {
        expect(
          inputs.filter((input) => pattern.test(input)),
          `${what} in the browser graph`,
        ).toEqual([])
      }
      expect(code).not.toMatch(/from ["']node:|require\(["'](ws|node:[a-z]+)["']\)/)
    })
  }

  it('the same check sees `ws` in the Node graph (it is not vacuous)', async () => {
    const result = await build({
      stdin: {
        contents: "export { createFlowcast } from 'flowcast'",
        resolveDir: packageDir,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      conditions: ['@flowcast/source'],
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: packageDir,
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((input) => forbidden[0]!.pattern.test(input))).toBe(true)
    expect(inputs.some((input) => /websocket\/(src|dist)\/index\.node\./.test(input))).toBe(true)
  })

  // The logs stack is reached only through `followFlowRun`: a bundle of `createFlowcast` alone
  // must not carry it (a `Flowcast` method would never be tree-shaken).
  const logsModules =
    /(core\/src\/logs\/(run-logs-follower|matching|frames|models)|core\/src\/wait\/follow-flow-run|websocket\/src\/logs-subscriber|polling\/src\/logs)\.ts$/

  /** The source files that put code into a minified browser bundle of `contents`. */
  async function bundledModules(contents: string): Promise<string[]> {
    const result = await build({
      stdin: { contents, resolveDir: packageDir, loader: 'ts' },
      bundle: true,
      write: false,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      conditions: ['@flowcast/source', 'browser', 'import', 'default'],
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: packageDir,
    })
    const [output] = Object.values(result.metafile.outputs)
    return Object.entries(output!.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path)
  }

  it('leaves the logs stack out of a createFlowcast-only bundle; followFlowRun brings it in', async () => {
    const waitOnly = await bundledModules("export { createFlowcast } from 'flowcast'")
    expect(waitOnly).toContain('src/flowcast.ts')
    expect(waitOnly.filter((input) => logsModules.test(input))).toEqual([])
    const following = await bundledModules(
      "export { createFlowcast, followFlowRun } from 'flowcast'",
    )
    for (const module of [
      'core/src/logs/run-logs-follower.ts',
      'core/src/wait/follow-flow-run.ts',
      'websocket/src/logs-subscriber.ts',
      'polling/src/logs.ts',
    ]) {
      expect(following.some((input) => input.endsWith(module))).toBe(true)
    }
  })
})
