import {
  PrefectDateTime,
  type Event,
  type OrchestrationResult,
  type StateType,
} from '@flowcast/core'
import type {
  DeploymentInput,
  FakeDeployment,
  FakeWorkPool,
  FakeWorkQueue,
  FlowRunInput,
  SetStateOptions,
  StateInput,
} from '../types.js'
import {
  defaultStateName,
  renderState,
  stateChangeEvent,
  stateDetails,
  type FlowRecord,
  type FlowRunRecord,
  type StateRecord,
} from './flow-runs.js'
import { randomSlug } from './names.js'
import { fakeError, formatMicros, secondsBetween } from './util.js'

// Kept here rather than imported from client code: the fake is the oracle clients are tested against.
const terminalTypes: readonly StateType[] = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']

/** What the run store needs from the rest of the fake. */
export interface RunStoreHost {
  newId(): string
  nowMicros(): bigint
  random(): number
  /** Stores and distributes a state-change event. */
  emit(event: Event): void
}

/**
 * Flows, deployments and flow runs, and the flow-run state machine: every state change goes
 * through {@link RunStore.transition} (docs/protocol.md §4.5).
 */
export class RunStore {
  readonly #host: RunStoreHost
  #flows = new Map<string, FlowRecord>()
  #deployments = new Map<string, FakeDeployment>()
  #deploymentCreated = new Map<string, bigint>()
  #runs = new Map<string, FlowRunRecord>()

  constructor(host: RunStoreHost) {
    this.#host = host
  }

  /** The flow named `name`, created on first use. */
  flowNamed(name: string): FlowRecord {
    for (const flow of this.#flows.values()) if (flow.name === name) return flow
    const flow: FlowRecord = {
      id: this.#host.newId(),
      name,
      tags: [],
      createdMicros: this.#host.nowMicros(),
    }
    this.#flows.set(flow.id, flow)
    return flow
  }

  flow(id: string): FlowRecord | undefined {
    return this.#flows.get(id)
  }

  flows(): FlowRecord[] {
    return [...this.#flows.values()]
  }

  createDeployment(input: DeploymentInput = {}): FakeDeployment {
    const newId = () => this.#host.newId()
    const flow = this.flowNamed(input.flowName ?? 'fake-flow')
    const pool = input.workPool === undefined ? 'default-pool' : input.workPool
    const queue = input.workQueue === undefined ? 'default' : input.workQueue
    const workPool: FakeWorkPool | null =
      pool === null
        ? null
        : typeof pool === 'string'
          ? { id: newId(), name: pool, type: 'process' }
          : {
              id: pool.id ?? newId(),
              name: pool.name ?? 'default-pool',
              type: pool.type ?? 'process',
            }
    const workQueue: FakeWorkQueue | null =
      queue === null
        ? null
        : typeof queue === 'string'
          ? { id: newId(), name: queue }
          : { id: queue.id ?? newId(), name: queue.name ?? 'default' }
    const deployment: FakeDeployment = {
      id: input.id ?? newId(),
      name: input.name ?? randomSlug(() => this.#host.random()),
      flowId: flow.id,
      flowName: flow.name,
      tags: [...(input.tags ?? [])],
      workPool,
      workQueue,
      parameters: { ...(input.parameters ?? {}) },
      retries: input.retries ?? 0,
      retryDelaySeconds: input.retryDelaySeconds ?? 0,
      version: input.version ?? null,
      parameterOpenApiSchema:
        input.parameterOpenApiSchema === undefined
          ? { type: 'object', properties: {} }
          : input.parameterOpenApiSchema,
      enforceParameterSchema: input.enforceParameterSchema ?? true,
    }
    this.#deployments.set(deployment.id, deployment)
    this.#deploymentCreated.set(deployment.id, this.#host.nowMicros())
    return deployment
  }

  deployment(id: string): FakeDeployment | undefined {
    return this.#deployments.get(id)
  }

  deployments(): FakeDeployment[] {
    return [...this.#deployments.values()]
  }

  /** The deployment `deploymentName` of the flow `flowName` (`GET /deployments/name/{flow}/{name}`). */
  deploymentNamed(flowName: string, deploymentName: string): FakeDeployment | undefined {
    for (const d of this.#deployments.values()) {
      if (d.flowName === flowName && d.name === deploymentName) return d
    }
    return undefined
  }

  /** When a deployment was created (server time, µs). */
  deploymentCreated(id: string): bigint {
    return this.#deploymentCreated.get(id) ?? 0n
  }

  /** Whether some deployment belongs to the flow. */
  flowHasDeployment(flowId: string): boolean {
    for (const d of this.#deployments.values()) if (d.flowId === flowId) return true
    return false
  }

  run(id: string): FlowRunRecord | undefined {
    return this.#runs.get(id)
  }

  runs(): FlowRunRecord[] {
    return [...this.#runs.values()]
  }

  requireRun(id: string): FlowRunRecord {
    const run = this.#runs.get(id)
    if (!run) throw fakeError('NOT_FOUND', 'flow run not found', id)
    return run
  }

  /** A state by id, with its run (`GET /flow_run_states/{id}`). */
  state(id: string): StateRecord | undefined {
    for (const run of this.#runs.values()) {
      const found = run.history.find((s) => s.id === id)
      if (found) return found
    }
    return undefined
  }

  /** Creates a run; `created` false when an idempotency key matched an existing run. */
  createRun(input: FlowRunInput): { run: FlowRunRecord; created: boolean } {
    const deployment =
      input.deploymentId !== undefined ? this.#deployments.get(input.deploymentId) : undefined
    if (input.deploymentId !== undefined && !deployment) {
      throw fakeError('NOT_FOUND', 'createFlowRun', `deployment ${input.deploymentId} not found`)
    }
    const flow = deployment
      ? (this.#flows.get(deployment.flowId) ?? this.flowNamed(deployment.flowName))
      : this.flowNamed(input.flowName ?? 'fake-flow')
    // Prefect's unique index is (flow_id, idempotency_key): the key is scoped to the flow,
    // so two deployments of one flow share it (docs/protocol.md §6.3).
    if (input.idempotencyKey !== undefined) {
      for (const existing of this.#runs.values()) {
        if (existing.idempotencyKey === input.idempotencyKey && existing.flow.id === flow.id) {
          return { run: existing, created: false }
        }
      }
    }
    const now = this.#host.nowMicros()
    const id = this.#host.newId()
    const tags: string[] = []
    for (const tag of [...(deployment?.tags ?? []), ...(input.tags ?? [])]) {
      if (!tags.includes(tag)) tags.push(tag)
    }
    const workQueue: FakeWorkQueue | null =
      input.workQueueName !== undefined
        ? deployment?.workQueue?.name === input.workQueueName
          ? deployment.workQueue
          : { id: this.#host.newId(), name: input.workQueueName }
        : (deployment?.workQueue ?? null)
    const run: FlowRunRecord = {
      id,
      name: input.name ?? randomSlug(() => this.#host.random()),
      flow,
      deployment: deployment ?? null,
      createdMicros: now,
      updatedMicros: now,
      tags,
      parameters: { ...(deployment?.parameters ?? {}), ...(input.parameters ?? {}) },
      labels: {
        'prefect.flow.id': flow.id,
        ...(deployment ? { 'prefect.deployment.id': deployment.id } : {}),
        ...(input.labels ?? {}),
      },
      workQueue,
      workPool: deployment?.workPool ?? null,
      state: null,
      runCount: 0,
      startMicros: null,
      endMicros: null,
      totalRunSeconds: 0,
      runningSinceMicros: null,
      expectedStartMicros: null,
      idempotencyKey: input.idempotencyKey ?? null,
      retries: input.retries ?? deployment?.retries ?? null,
      retryDelaySeconds: deployment?.retryDelaySeconds ?? null,
      createdBy: input.createdBy ?? null,
      parentTaskRunId: null,
      resuming: false,
      history: [],
    }
    this.#runs.set(id, run)
    this.transition(run, input.state ?? { type: 'SCHEDULED' }, { force: true })
    return { run, created: true }
  }

  #buildState(run: FlowRunRecord, proposed: StateInput, now: bigint): StateRecord {
    const id = this.#host.newId()
    const extra: Record<string, unknown> = { ...(proposed.state_details ?? {}) }
    delete extra.flow_run_id
    delete extra.transition_id
    if (proposed.type === 'SCHEDULED' && extra.scheduled_time === undefined) {
      extra.scheduled_time = formatMicros(now)
    }
    if (proposed.type === 'PAUSED') {
      if (extra.pause_reschedule === undefined) {
        extra.pause_reschedule = proposed.name === 'Suspended'
      }
      if (extra.pause_timeout === undefined) {
        extra.pause_timeout = formatMicros(now + 3600n * 1_000_000n)
      }
    }
    return {
      id,
      type: proposed.type,
      name: proposed.name || defaultStateName(proposed.type),
      timestampMicros: now,
      message: proposed.message ?? null,
      data: proposed.data ?? null,
      stateDetails: stateDetails(run.id, this.#host.newId(), extra),
    }
  }

  /**
   * The one place a run changes state: applies the orchestration rules the fake models (terminal
   * guard, `RetryFailedFlows`), updates run fields and emits the state event (docs/protocol.md §4.5).
   */
  transition(
    run: FlowRunRecord,
    proposed: StateInput,
    options: SetStateOptions = {},
  ): OrchestrationResult {
    const initial = run.state
    const now = this.#host.nowMicros()
    if (!options.force && initial) {
      if (terminalTypes.includes(initial.type) && proposed.type !== 'SCHEDULED') {
        return {
          state: null,
          status: 'ABORT',
          details: { type: 'abort_details', reason: 'This run has already terminated.' },
        } as unknown as OrchestrationResult
      }
      if (
        proposed.type === 'FAILED' &&
        initial.type === 'RUNNING' &&
        run.retries !== null &&
        run.runCount <= run.retries
      ) {
        const delay = BigInt(Math.round((run.retryDelaySeconds ?? 0) * 1_000_000))
        const retry = this.#buildState(
          run,
          {
            type: 'SCHEDULED',
            name: 'AwaitingRetry',
            message: proposed.message ?? null,
            state_details: { scheduled_time: formatMicros(now + delay) },
          },
          now,
        )
        this.#apply(run, initial, retry)
        return {
          state: renderState(retry),
          status: 'REJECT',
          details: { type: 'reject_details', reason: 'Retrying' },
        } as unknown as OrchestrationResult
      }
    }
    const validated = this.#buildState(run, proposed, now)
    this.#apply(run, initial, validated)
    return {
      state: renderState(validated),
      status: 'ACCEPT',
      details: { type: 'accept_details' },
    } as unknown as OrchestrationResult
  }

  #apply(run: FlowRunRecord, initial: StateRecord | null, validated: StateRecord): void {
    const now = validated.timestampMicros
    if (initial?.type === 'RUNNING' && run.runningSinceMicros !== null) {
      run.totalRunSeconds += secondsBetween(now, run.runningSinceMicros)
      run.runningSinceMicros = null
    }
    if (validated.type === 'RUNNING') {
      // IncrementFlowRunCount runs before the event; a run resuming from a pause is not recounted.
      if (initial?.type !== 'PAUSED' && !run.resuming) run.runCount++
      run.resuming = false
      run.runningSinceMicros = now
      if (run.startMicros === null) run.startMicros = now
    }
    if (validated.type === 'PAUSED') run.resuming = false
    if (validated.type === 'SCHEDULED' && initial?.type === 'PAUSED') run.resuming = true
    if (validated.type === 'SCHEDULED') {
      const scheduled = validated.stateDetails.scheduled_time
      if (run.expectedStartMicros === null && typeof scheduled === 'string') {
        run.expectedStartMicros = PrefectDateTime.parse(scheduled).epochMicros
      }
    }
    if (terminalTypes.includes(validated.type)) run.endMicros = now
    else if (validated.type !== 'CANCELLING') run.endMicros = null
    run.state = validated
    run.history.push(validated)
    run.updatedMicros = now
    this.#host.emit(stateChangeEvent(run, initial, validated))
  }

  /** Forgets every flow, deployment and run. */
  clear(): void {
    this.#flows.clear()
    this.#deployments.clear()
    this.#deploymentCreated.clear()
    this.#runs.clear()
  }
}
