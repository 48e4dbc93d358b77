// The vendored spec data (tooling/prefect-spec/data) must stay byte-identical to the
// project's shared spec when that folder sits beside the repository, as it does in CI.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { flowRunFramesPath, openApiPath } from '@flowcast/prefect-spec'
import { expect, it } from 'vitest'

const sharedSpec = fileURLToPath(new URL('../../../../shared/spec/', import.meta.url))

it.each([
  ['prefect-openapi.json', openApiPath],
  ['flow-run-frames.jsonl', flowRunFramesPath],
])('the vendored %s matches shared/spec when it is present', (name, vendored) => {
  const shared = `${sharedSpec}${name}`
  if (!existsSync(shared)) return
  expect(readFileSync(vendored).equals(readFileSync(shared))).toBe(true)
})
