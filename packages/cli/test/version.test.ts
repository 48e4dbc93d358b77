// The built bin prints the version of the package.json it ships with.
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { pathOnlyEnv, spawnFlowcast } from './helpers/process.js'

const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string }

it('flowcast --version prints package.json version', async () => {
  const { code, stdout, stderr } = await spawnFlowcast(['--version'], pathOnlyEnv()).done
  expect({ code, stdout, stderr }).toEqual({
    code: 0,
    stdout: `${packageJson.version}\n`,
    stderr: '',
  })
})
