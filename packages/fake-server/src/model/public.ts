import type { FakePrefect } from '../types.js'
import type { FakePrefectModel } from './fake-prefect.js'
import { runLifecycle } from './lifecycle.js'

/**
 * The public `FakePrefect` object over a model: exactly the declared controls, each bound to
 * the model, so nothing undeclared is reachable at runtime. Adapters spread it into their own
 * object and add their transport's members.
 */
export function publicFakePrefect(model: FakePrefectModel): FakePrefect {
  return {
    clock: model.clock,
    createDeployment: (input) => model.runs.createDeployment(input),
    createFlowRun: (input = {}) => model.renderRun(model.runs.createRun(input).run),
    readFlowRun: (id) => model.readFlowRun(id),
    setFlowRunState: (id, state, options) =>
      model.runs.transition(model.runs.requireRun(id), state, options),
    runLifecycle: (id, steps, options) =>
      runLifecycle(
        {
          clock: model.clock,
          runs: model.runs,
          emitHeartbeat: (runId) => model.emitHeartbeat(runId),
          createLog: (log) => model.logStore.create([log]),
        },
        model.runs.requireRun(id),
        steps,
        options,
      ),
    emitHeartbeat: (id) => model.emitHeartbeat(id),
    publishEvent: (event) => model.publishEvent(event),
    get events() {
      return model.events
    },
    broadcast: (frame, options) => model.broadcast(frame, options),
    waitForSubscriber: (options) => model.sockets.waitForSubscriber(options),
    get openConnections() {
      return model.openConnections
    },
    faults: model.faults.view,
    recorder: model.recorder.view,
    expectEmitted: (matcher) => model.expectEmitted(matcher),
    waitForEmitted: (matcher, options) => model.waitForEmitted(matcher, options),
    addAutomation: (input) => model.automations.add(input),
    removeAutomation: (id) => model.automations.remove(id),
    settleWebhooks: (options) => model.automations.settle(options),
    replay: (frames, options) => model.replay(frames, options),
    logs: model.logStore,
    use: (...overrides) => model.overrides.use(overrides),
    resetHandlers: () => model.resetHandlers(),
    reset: () => model.reset(),
  }
}

/**
 * Defines the public controls (getters stay getters) on an adapter's own object, so it carries
 * them next to its transport's members.
 */
export function withPublicControls<T extends object>(
  model: FakePrefectModel,
  target: T,
): T & FakePrefect {
  const source = publicFakePrefect(model)
  Object.defineProperties(target, Object.getOwnPropertyDescriptors(source))
  return target as T & FakePrefect
}
