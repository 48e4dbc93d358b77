// Errors
export { FLOWCAST_ERROR_CODES, FlowcastError, describeError, isFlowcastError } from './errors.js'
export type { FlowcastErrorCode, FlowcastErrorOptions } from './errors.js'

// Clock and timing
export { abortedError, createManualClock, sleep, systemClock } from './clock.js'
export type { Clock, ManualClock, SleepOptions, TimerHandle } from './clock.js'
export { backoffDefaults, computeBackoffDelay } from './backoff.js'
export type { BackoffPolicy } from './backoff.js'

// Datetimes
export {
  PrefectDateTime,
  compareDateTimes,
  epochMicrosOf,
  formatPrefectDateTime,
  isPrefectDateTime,
} from './datetime.js'
export type { DateTimeArithmeticOptions } from './datetime.js'

// Models (the zod schemas of these models: `@flowcast/core/schemas`)
export { createEvent, createSerializedEvent } from './create-event.js'
export type { CreateEventOptions, EventInput } from './create-event.js'
export {
  eventLimits,
  eventSizeBytes,
  formatIssues,
  maxTextQueryLength,
  parseEvent,
  parseEventFilter,
  parseEventPage,
  parseFlowRun,
  parseOrchestrationResult,
  parseReceivedEvent,
  serializeEvent,
  serializeReceivedEvent,
  withServerFilterDefaults,
} from './models.js'
export type {
  Event,
  EventAnyResourceFilter,
  EventFilter,
  EventIDFilter,
  EventNameFilter,
  EventOccurredFilter,
  EventOrder,
  EventPage,
  EventRelatedFilter,
  EventResourceFilter,
  EventTextFilter,
  FlowRun,
  OrchestrationResult,
  ReceivedEvent,
  RelatedResource,
  Resource,
  ResourceSpecification,
  ServerFilterDefaultsOptions,
  SetStateStatus,
  State,
  StateType,
  ValidationIssue,
} from './models.js'
export { isUuid, uuidv7 } from './uuid.js'
export type { UuidV7Options } from './uuid.js'

// States
export {
  STATE_TYPES,
  TERMINAL_STATE_TYPES,
  defaultStateName,
  flowRunIdFromResourceId,
  flowRunResourceId,
  flowRunStateFromEvent,
  flowRunStateFromFlowRun,
  isStateType,
  isTerminalStateType,
} from './states.js'
export type { FlowRunStateObservation, TerminalStateType } from './states.js'

// Wire frames
export { encodeAuthFrame, encodeFilterFrame, parseClientFrame, parseServerFrame } from './frames.js'
export type {
  ClientFrame,
  EncodeFilterFrameOptions,
  ParseServerFrameOptions,
  ServerFrame,
  UnknownFrameReason,
} from './frames.js'

// Filter matching
export { matchesFilter, matchesLabelPattern, matchesTextQuery } from './filters.js'
export type { MatchesFilterOptions } from './filters.js'

// Dedupe
export { createDedupeWindow, dedupeWindowDefaults } from './dedupe.js'
export type { DedupeWindow, DedupeWindowOptions } from './dedupe.js'

// API location and credentials
export {
  httpAuthorizationHeader,
  parseApiUrl,
  prefectCredentials,
  createRedactor,
  redactSecrets,
  redactUrlCredentials,
  toWebSocketUrl,
} from './api-location.js'
export type { PrefectApiLocation, PrefectCredentials } from './api-location.js'

// Logging
export { silentLogger } from './logger.js'
export type { Logger } from './logger.js'

// Timing profiles
export { resolveProfile } from './profile.js'
export type { FlowcastProfile } from './profile.js'

// Waiting
export { createRunWatcher, runWatcherDefaults, runWatcherTestProfile } from './wait/run-watcher.js'
export type { RunWatcher, RunWatcherOptions } from './wait/run-watcher.js'
export { waitForFlowRun } from './wait/wait-for-flow-run.js'
export type { WaitForFlowRunOptions } from './wait/wait-for-flow-run.js'
export type {
  PullRunStateSource,
  PushRunStateSource,
  RunStateSourceHealth,
  RunStateSources,
  WaitAbortedResult,
  WaitForFlowRunResult,
  WaitOptions,
  WaitOutcome,
  WaitResultBase,
  WaitTerminalResult,
  WaitTimeoutResult,
  WaitTimings,
  WaitTransportFailedResult,
} from './wait/types.js'

// Logs
export {
  LOG_LEVELS,
  logLevelName,
  parseLog,
  parseLogCreate,
  parseLogFilter,
  parseLogLevel,
} from './logs/models.js'
export type { Log, LogCreate, LogFilter, LogLevelName, LogSort } from './logs/models.js'
export { compareLogs, matchesLogFilter, matchesLogTextQuery } from './logs/matching.js'
export { encodeLogsFilterFrame, parseLogsServerFrame } from './logs/frames.js'
export type { LogsServerFrame, UnknownLogsFrameReason } from './logs/frames.js'
export type {
  LogsSources,
  PullLogsReadOptions,
  PullLogsSource,
  PushLogsSource,
} from './logs/sources.js'
export { createRunLogsFollower, runLogsFollowerDefaults } from './logs/run-logs-follower.js'
export type {
  RunLogsFollower,
  RunLogsFollowerOptions,
  RunLogsFollowerStats,
} from './logs/run-logs-follower.js'
export { followFlowRun, followFlowRunDefaults } from './wait/follow-flow-run.js'
export type {
  FlowRunFollow,
  FlowRunFollowItem,
  FollowFlowRunOptions,
} from './wait/follow-flow-run.js'

// Instrumentation
export { createInstrumentation, noopInstrumentation } from './instruments/create.js'
export type {
  CounterInstrument,
  HistogramInstrument,
  InstrumentKind,
  InstrumentSpec,
  Instrumentation,
  InstrumentationAttributeValue,
  InstrumentationBackend,
  InstrumentationAttributes,
  InstrumentationSpan,
  InstrumentationSpanKind,
  InstrumentationSpanOptions,
  InstrumentationSpanStatus,
} from './instrumentation.js'
export { flowcastAttributes, flowcastMetrics, waitSpanName } from './metrics.js'
