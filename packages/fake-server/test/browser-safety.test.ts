import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

/** Every module reachable from `entry` through relative imports, with its bare imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const visit = (file: string) => {
    if (graph.has(file)) return
    const text = readFileSync(file, 'utf8')
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm),
    ].map((m) => m[1]!)
    graph.set(
      file,
      specifiers.filter((s) => !s.startsWith('.')),
    )
    for (const s of specifiers.filter((s) => s.startsWith('.'))) {
      visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')))
    }
  }
  visit(resolve(src, entry))
  return graph
}

describe('browser safety', () => {
  it.each(['msw.ts', 'mock-socket.ts'])('%s imports no Node built-ins and no ws', (entry) => {
    const bare = [...importGraph(entry).values()].flat()
    expect(bare.filter((s) => s.startsWith('node:') || s === 'ws' || s.startsWith('ws/'))).toEqual(
      [],
    )
    expect(bare).toContain('@flowcast/core')
  })
})
