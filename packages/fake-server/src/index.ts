// Node entry: the fake server on a real port. `./msw` and `./mock-socket` adapt the same model.

export { createFakePrefectServer, fakePrefectServerDefaults } from './node/server.js'
export { readFramesFile } from './node/replay-file.js'
export { parseFramesJsonl } from './model/replay.js'
export { renderTemplate } from './model/template.js'
export { sampleFrames } from './model/frames.js'
export { fakePrefectDefaults, lifecycleStateNames } from './types.js'
export { fakeCorsDefaults } from './rest/cors.js'
export type { FakeCorsOptions } from './rest/cors.js'
export { fakeLogsDefaults } from './model/logs.js'
export type { FakeLogInput, FakeLogs, FakeLogsOptions } from './model/logs.js'

export type { FakePrefectServer, FakePrefectServerOptions } from './node/server.js'
export type {
  AutomationInput,
  ConnectionRecord,
  ConnectionSelector,
  CreatedFlowRunRecord,
  DeploymentInput,
  DropConnectionsOptions,
  EffectiveFilter,
  EventArrivalRecord,
  EventMatcher,
  FakeAutomation,
  FakeCloudOptions,
  FakeCreatedBy,
  FakeDeployment,
  FakePrefect,
  FakePrefectFaults,
  FakePrefectOptions,
  FakePrefectRecorder,
  FakeWorkPool,
  FakeWorkQueue,
  FlowRunInput,
  FlowRunMatcher,
  FrameInput,
  HttpErrorRule,
  HttpRequestRecord,
  LifecycleStateName,
  LifecycleStep,
  NextFlowRunOptions,
  RejectedUpgradeRecord,
  ReplayFrame,
  ReplayOptions,
  RestOverride,
  RunLifecycleOptions,
  SetStateOptions,
  StateInput,
  WebhookCallRecord,
} from './types.js'
