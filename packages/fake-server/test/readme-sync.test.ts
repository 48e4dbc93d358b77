import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('README', () => {
  it('shows the consumer test verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const test = readFileSync(new URL('./readme.integration.test.ts', import.meta.url), 'utf8')
    expect(readme).toContain(`\`\`\`ts\n${test}\`\`\``)
  })
})
