import { readFileSync, writeFileSync } from 'node:fs'
import { openApiPath } from '@flowcast/prefect-spec'
import { describe, expect, it } from 'vitest'
import { coverageTable } from '../src/rest/coverage.js'
import { prefectApiPaths } from '../src/rest/prefect-api.js'
import { restRoutes, routes } from '../src/rest/table.js'

// `FLOWCAST_WRITE=1` rewrites the generated list and the README table instead of failing.
const write = process.env.FLOWCAST_WRITE === '1'

function schemaPaths(): [string, string][] {
  const doc = JSON.parse(readFileSync(openApiPath, 'utf8')) as {
    paths: Record<string, Record<string, unknown>>
  }
  return Object.entries(doc.paths).map(([path, operations]) => [
    path.replace(/\{([^}]+)\}/g, ':$1'),
    Object.keys(operations)
      .map((m) => m.toUpperCase())
      .join(' '),
  ])
}

describe("Prefect's API paths", () => {
  it('the generated list matches the vendored OpenAPI schema', () => {
    const expected = schemaPaths()
    if (write) {
      const file = new URL('../src/rest/prefect-api.ts', import.meta.url)
      const text = readFileSync(file, 'utf8')
      const start = text.indexOf('= [\n') + 4
      const rows = expected.map(([p, m]) => `  ['${p}', '${m}'],`).join('\n')
      writeFileSync(file, `${text.slice(0, start)}${rows}\n]\n`)
    }
    expect(prefectApiPaths.map(([p, m]) => [p, m])).toEqual(expected)
  })

  it('every route the fake implements is an operation of Prefect’s API', () => {
    const operations = new Set(
      prefectApiPaths.flatMap(([path, methods]) => methods.split(' ').map((m) => `${m} ${path}`)),
    )
    expect(routes.map((r) => `${r.method} ${r.path}`).filter((op) => !operations.has(op))).toEqual(
      [],
    )
  })

  it("the README's coverage table is the one the route table generates", () => {
    const file = new URL('../README.md', import.meta.url)
    const readme = readFileSync(file, 'utf8')
    const begin = '<!-- coverage:begin -->\n'
    const end = '\n<!-- coverage:end -->'
    const table = coverageTable(restRoutes)
    if (write) {
      const from = readme.indexOf(begin) + begin.length
      writeFileSync(file, `${readme.slice(0, from)}${table}${readme.slice(readme.indexOf(end))}`)
    }
    expect(readFileSync(file, 'utf8')).toContain(`${begin}${table}${end}`)
  })
})
