import { expect, test } from 'vitest'
import { validateAgainstSchema, readFlowRunFrames } from '@flowcast/prefect-spec'

test('spec validator works', () => {
  const frame = JSON.parse(readFlowRunFrames()[0]!)
  expect(validateAgainstSchema('ReceivedEvent', frame.event)).toEqual([])
  expect(validateAgainstSchema('ReceivedEvent', { ...frame.event, id: 'nope' })).not.toEqual([])
})
