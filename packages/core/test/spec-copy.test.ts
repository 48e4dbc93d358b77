// The vendored spec data (tooling/prefect-spec/data) must stay byte-identical to the
// project's shared spec when that folder sits beside the repository, as it does in CI.
// A clone without it (a fork, a user's checkout) skips these checks, visibly and with the
// reason, and never fails for that reason.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { flowRunFramesPath, openApiPath } from '@flowcast/prefect-spec'
import { describe, expect, it } from 'vitest'

const sharedSpec = fileURLToPath(new URL('../../../../shared/spec/', import.meta.url))
const missing = !existsSync(sharedSpec)
const reason = `skipped: ${sharedSpec} does not exist (no ../shared beside this clone)`

if (missing) {
  // Printed once per run so the skip shows in the default reporter's output, not only in
  // the per-test notes of the verbose one.
  console.warn(`spec-copy: ${reason}`)
}

describe.skipIf(missing)(
  missing
    ? `vendored spec matches ../shared/spec (${reason})`
    : 'vendored spec matches ../shared/spec',
  () => {
    it.each([
      ['prefect-openapi.json', openApiPath],
      ['flow-run-frames.jsonl', flowRunFramesPath],
    ])('the vendored %s is byte-identical to the shared copy', (name, vendored) => {
      expect(readFileSync(vendored).equals(readFileSync(`${sharedSpec}${name}`))).toBe(true)
    })
  },
)
