// The examples the READMEs point at must run as shown (they import the built packages).
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)
const example = fileURLToPath(new URL('../examples/three-ways-to-wait.mjs', import.meta.url))

it('examples/three-ways-to-wait.mjs learns each end the way its label says', async () => {
  const { stdout } = await run(process.execPath, [example], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  })
  const lines = stdout.trim().split('\n')
  expect(lines).toEqual([
    expect.stringMatching(/^hybrid \(default\)\s+terminal COMPLETED via websocket$/),
    expect.stringMatching(/^websocket only\s+terminal COMPLETED via websocket$/),
    expect.stringMatching(/^polling only\s+terminal COMPLETED via polling$/),
    expect.stringMatching(/^hybrid, WebSockets blocked \(403\)\s+terminal COMPLETED via polling$/),
  ])
})
