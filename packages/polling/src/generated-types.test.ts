// The generated REST types must match the vendored schema: regenerating them in memory with
// the same options as `pnpm --filter @flowcast/polling generate` gives the checked-in file.
import { readFileSync } from 'node:fs'
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'
import { describe, expect, it } from 'vitest'

const schemaUrl = new URL(
  '../../../tooling/prefect-spec/data/prefect-openapi.json',
  import.meta.url,
)
const generatedUrl = new URL('../generated/prefect-api.ts', import.meta.url)
const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { scripts: Record<string, string> }

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const

describe('generated Prefect REST types', () => {
  it('the generate script uses the options this test regenerates with', () => {
    expect(packageJson.scripts['generate']).toBe(
      'openapi-typescript ../../tooling/prefect-spec/data/prefect-openapi.json --default-non-nullable false --output generated/prefect-api.ts',
    )
  })

  it('are not stale against the vendored OpenAPI schema', async () => {
    const ast = await openapiTS(schemaUrl, { defaultNonNullable: false, silent: true })
    const expected = `${COMMENT_HEADER}${astToString(ast)}`
    const actual = readFileSync(generatedUrl, 'utf8')
    // A plain equality would print a 600 KB diff; name the first differing line instead.
    if (actual !== expected) {
      const actualLines = actual.split('\n')
      const expectedLines = expected.split('\n')
      const line = expectedLines.findIndex((text, index) => actualLines[index] !== text)
      expect.fail(
        `generated/prefect-api.ts is stale (first difference at line ${line + 1}: ` +
          `expected ${JSON.stringify(expectedLines[line])}, found ${JSON.stringify(actualLines[line])}); ` +
          'run `pnpm --filter @flowcast/polling generate`',
      )
    }
  }, 60_000)

  it('cover every path and method of the schema', () => {
    const document = JSON.parse(readFileSync(schemaUrl, 'utf8')) as OpenApiDocument
    const generated = readFileSync(generatedUrl, 'utf8')
    const start = generated.indexOf('export interface paths {')
    const end = generated.indexOf('\nexport type webhooks', start)
    const pathsBlock = generated.slice(start, end)
    const missing: string[] = []
    let operations = 0
    for (const [path, item] of Object.entries(document.paths)) {
      const at = pathsBlock.indexOf(`\n    ${JSON.stringify(path)}: {`)
      if (at === -1) {
        missing.push(path)
        continue
      }
      const next = pathsBlock.indexOf('\n    };', at)
      const block = pathsBlock.slice(at, next)
      for (const method of methods) {
        if (!(method in item)) continue
        operations++
        if (!new RegExp(`\\n        ${method}: operations\\[`).test(block)) {
          missing.push(`${method.toUpperCase()} ${path}`)
        }
      }
    }
    expect(missing).toEqual([])
    expect(Object.keys(document.paths)).toHaveLength(141)
    expect(operations).toBe(179)
  })
})
