// REST client
export { createPrefectClient, prefectClientDefaults } from './client.js'
export type { PrefectClient, PrefectClientOptions, ReadEventsOptions } from './client.js'
export type {
  PrefectApi,
  PrefectApiComponents,
  PrefectApiInit,
  PrefectApiMethod,
  PrefectApiOperation,
  PrefectApiOperations,
  PrefectApiPaths,
  PrefectApiPathsWith,
  PrefectApiResponse,
  PrefectApiSchema,
} from './api.js'
export { retryableStatuses } from './http.js'
export type { RequestOptions, RetryMode } from './http.js'
export type {
  DeploymentFlowRunCreate,
  FilterOperator,
  FlowRunFilter,
  FlowRunFilterBody,
  FlowRunFilterId,
  FlowRunFilterState,
  FlowRunSort,
  StateCreate,
} from './types.js'

// Polling run-state source
export { createPollingRunStateSource, pollingRunStateSourceDefaults } from './polling-source.js'
export type { PollingRunStateSource, PollingRunStateSourceOptions } from './polling-source.js'

// Logs
export { createLogsClient, createPollingLogsSource, maxLogsPageSize } from './logs.js'
export type {
  PollingLogsSourceOptions,
  PrefectLogsClient,
  ReadAllLogsOptions,
  ReadLogsBody,
  ReadLogsSinceOptions,
} from './logs.js'
