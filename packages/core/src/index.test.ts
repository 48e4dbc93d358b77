import { expect, test } from 'vitest'
import * as core from './index.js'
import * as schemas from './schemas.js'

// The names the other packages code against (flowcast contract). Dropping or renaming one
// is a breaking change.
const contractValues = [
  'FlowcastError',
  'isFlowcastError',
  'systemClock',
  'createManualClock',
  'sleep',
  'backoffDefaults',
  'computeBackoffDelay',
  'PrefectDateTime',
  'formatPrefectDateTime',
  'compareDateTimes',
  'eventLimits',
  'parseEvent',
  'parseReceivedEvent',
  'parseEventFilter',
  'parseFlowRun',
  'createEvent',
  'createSerializedEvent',
  'uuidv7',
  'serializeEvent',
  'serializeReceivedEvent',
  'eventSizeBytes',
  'STATE_TYPES',
  'TERMINAL_STATE_TYPES',
  'isTerminalStateType',
  'flowRunStateFromEvent',
  'flowRunStateFromFlowRun',
  'flowRunResourceId',
  'flowRunIdFromResourceId',
  'parseServerFrame',
  'encodeAuthFrame',
  'encodeFilterFrame',
  'matchesFilter',
  'matchesLabelPattern',
  'matchesTextQuery',
  'createDedupeWindow',
  'parseApiUrl',
  'httpAuthorizationHeader',
  'redactSecrets',
  'redactUrlCredentials',
  'createRedactor',
  'silentLogger',
] as const

test.each(contractValues)('exports %s', (name) => {
  expect(core[name]).toBeDefined()
})

// The zod schemas live in `@flowcast/core/schemas`, so that the main entry bundles for a
// browser without a schema library.
const schemaValues = [
  'ResourceSchema',
  'RelatedResourceSchema',
  'EventSchema',
  'ReceivedEventSchema',
  'EventFilterSchema',
  'EventOccurredFilterSchema',
  'EventNameFilterSchema',
  'EventResourceFilterSchema',
  'EventRelatedFilterSchema',
  'EventAnyResourceFilterSchema',
  'EventIDFilterSchema',
  'EventTextFilterSchema',
  'ResourceSpecificationSchema',
  'EventOrderSchema',
  'StateTypeSchema',
  'StateSchema',
  'FlowRunSchema',
  'EventPageSchema',
  'OrchestrationResultSchema',
  'LogSchema',
  'LogCreateSchema',
  'LogFilterSchema',
  'LogSortSchema',
  'validate',
] as const

test.each(schemaValues)('exports %s from the schemas entry only', (name) => {
  expect(schemas[name]).toBeDefined()
  expect(name in core).toBe(false)
})

test('eventLimits match the server defaults', () => {
  expect(core.eventLimits).toEqual({
    maxEventNameLength: 1024,
    maxLabelsPerResource: 500,
    maxRelatedResources: 100,
    maxEventSizeBytes: 1_500_000,
  })
})

test('importing core has no side effects on globals', () => {
  expect(Object.keys(globalThis)).not.toContain('FlowcastError')
})
