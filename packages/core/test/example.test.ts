import { expect, test, vi } from 'vitest'

test('examples/basic.mjs runs and shows the documented behaviour', async () => {
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '))
  })
  try {
    const example = new URL('../examples/basic.mjs', import.meta.url).href
    await import(/* @vite-ignore */ example)
  } finally {
    log.mockRestore()
  }
  expect(lines[0]).toMatch(/^filter frame +\{"type":"filter","filter":\{"occurred":/)
  expect(lines.filter((l) => l.startsWith('event'))).toEqual([
    'event           prefect.flow-run.Completed | matches filter: true | state: COMPLETED | terminal: true',
  ])
  expect(lines).toContain('skipped frames  {"unknown_type":1,"not_json":1}')
  expect(lines).toContain('resume cursor   2026-08-20T14:02:11.482913Z')
})
