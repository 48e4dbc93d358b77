// React hooks over one shared flowcast instance.
export { FlowcastProvider, useFlowcast } from './provider.js'
export type { FlowcastProviderProps } from './provider.js'
export { useEvents, useFlowRun, useFlowRunLogs } from './hooks.js'
export { useRunDeployment } from './use-run-deployment.js'
export type {
  MutateCallbacks,
  RunDeploymentData,
  RunDeploymentMutation,
  RunDeploymentVariables,
} from './use-run-deployment.js'
export type { StoreTuning } from './stores.js'
export type {
  EventsFilterInput,
  EventsSnapshot,
  FlowcastHookStatus,
  FlowRunLogsSnapshot,
  FlowRunSnapshot,
  LearnedState,
  UseEventsOptions,
  UseFlowRunLogsOptions,
} from './types.js'
