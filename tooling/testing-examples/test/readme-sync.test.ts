import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('the fake-server README', () => {
  const readme = readFileSync(
    new URL('../../../packages/fake-server/README.md', import.meta.url),
    'utf8',
  )
  const section = readme.slice(readme.indexOf('## Testing your service'))

  it.each(['service.test.ts', 'msw.test.ts'])(
    'shows %s verbatim in "Testing your service"',
    (file) => {
      const test = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8')
      expect(section).toContain(`\`\`\`ts\n${test}\`\`\``)
    },
  )
})
