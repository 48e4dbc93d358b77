// The SDK: `createFlowcast`, plus what a service needs to handle its results and errors
// without depending on the building-block packages itself.
export { createFlowcast } from './flowcast.js'
export type {
  Flowcast,
  FlowcastOptions,
  FlowcastTransport,
  ParameterIssue,
  ParameterValidator,
  RunDeploymentOptions,
  RunDeploymentResult,
} from './flowcast.js'
export { followFlowRun } from './follow.js'
export type { FlowcastFollowOptions } from './follow.js'

// The transport composition `createFlowcast` and the `flowcast` command share
export { checkTransport, composeLogs, composeTransport, flowcastTransports } from './transport.js'
export type {
  LogsComposition,
  TransportComposition,
  TransportOptions,
  WebhookTransportOptions,
} from './transport.js'

// Errors, terminal states, clock and logger, a hand-written instrumentation's wrapper, and the
// types of results and options
export {
  createInstrumentation,
  FLOWCAST_ERROR_CODES,
  FlowcastError,
  describeError,
  isFlowcastError,
  TERMINAL_STATE_TYPES,
  isTerminalStateType,
  silentLogger,
  systemClock,
} from '@flowcast/core'
export type {
  Clock,
  FlowcastProfile,
  Event,
  EventFilter,
  EventInput,
  FlowRun,
  FlowRunFollow,
  FlowRunFollowItem,
  FlowRunStateObservation,
  FollowFlowRunOptions,
  Log,
  LogFilter,
  LogLevelName,
  LogsSources,
  FlowcastErrorCode,
  Instrumentation,
  InstrumentationBackend,
  Logger,
  ReceivedEvent,
  RelatedResource,
  Resource,
  RunWatcherOptions,
  State,
  StateType,
  TerminalStateType,
  WaitAbortedResult,
  WaitForFlowRunResult,
  WaitOptions,
  WaitOutcome,
  WaitTerminalResult,
  WaitTimeoutResult,
  WaitTimings,
  WaitTransportFailedResult,
} from '@flowcast/core'
export type {
  DeploymentFlowRunCreate,
  PollingRunStateSourceOptions,
  PrefectClient,
  PrefectClientOptions,
  RequestOptions,
  RetryMode,
} from '@flowcast/polling'
export type {
  ConnectionState,
  EventsSubscriber,
  EventsSubscriberOptions,
  ReconnectOptions,
  WebSocketConstructorLike,
  WebSocketLike,
  WebSocketRunStateSourceOptions,
} from '@flowcast/websocket'
export type { WebhookDelivery, WebhookReceiver, WebhookReceiverOptions } from '@flowcast/webhook'
