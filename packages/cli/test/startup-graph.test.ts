// What `flowcast` loads before any command runs: the static import graph of src/cli.ts, as
// esbuild splits it. The fake server, its JSON Schema validator and Redis are loaded only by
// the commands that need them (dynamic imports), so `watch`, `run`, `logs` and `events` start
// without them.
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'
import { expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** The inputs of every output chunk reachable from the entry through static imports. */
function staticInputs(metafile: Metafile, entryOutput: string): string[] {
  const seen = new Set<string>()
  const queue = [entryOutput]
  while (queue.length > 0) {
    const output = queue.pop()!
    if (seen.has(output)) continue
    seen.add(output)
    for (const imported of metafile.outputs[output]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) queue.push(imported.path)
    }
  }
  return [...seen].flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {}))
}

it('the CLI starts without the fake server, ajv or ioredis; they load with their commands', async () => {
  const result = await build({
    entryPoints: { cli: 'src/cli.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir: 'out',
    write: false,
    metafile: true,
    logLevel: 'silent',
    conditions: ['@flowcast/source'],
    absWorkingDir: packageDir,
  })
  const entry = Object.keys(result.metafile.outputs).find((output) => /out\/cli\.js$/.test(output))!
  const atStartup = staticInputs(result.metafile, entry)
  const all = Object.keys(result.metafile.inputs)
  const heavy = /fake-server\/src\/|node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?(ajv|ioredis)\//
  // The check can see them: they are in the bundle, behind dynamic imports.
  expect(all.filter((input) => heavy.test(input)).length).toBeGreaterThan(0)
  expect(atStartup.some((input) => /src\/commands\/watch\.ts$/.test(input))).toBe(true)
  expect(atStartup.filter((input) => heavy.test(input))).toEqual([])
})
