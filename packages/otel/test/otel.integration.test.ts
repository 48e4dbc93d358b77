// @flowcast/otel against the fake Prefect server on a real loopback port, read back through the
// OpenTelemetry SDK's in-memory span exporter and an on-demand metric reader.
import { flowcastMetrics as m, type EventInput } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import {
  createEventsSubscriber,
  createLogsSubscriber,
  type EventsSubscriber,
} from '@flowcast/websocket'
import { SpanKind, SpanStatusCode, context, metrics, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { createFlowcast, type Flowcast } from 'flowcast'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createOtelHarness, type OtelHarness } from './harness.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startServer(): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer({ pingIntervalMs: 0 })
  cleanups.push(() => server.close())
  return server
}

function harness(): OtelHarness {
  const otel = createOtelHarness()
  cleanups.push(() => otel.shutdown())
  return otel
}

function flowcastFor(server: FakePrefectServer, otel?: OtelHarness): Flowcast {
  const flowcast = createFlowcast({
    apiUrl: server.apiUrl,
    env: {},
    profile: 'test',
    ...(otel ? { instrumentation: otel.instrumentation } : {}),
  })
  cleanups.push(() => flowcast.close())
  return flowcast
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const thing = (n: number): EventInput => ({
  event: 'test.thing.happened',
  resource: { 'prefect.resource.id': `test.thing.${n}` },
})

const eventsOut = { 'messaging.destination.name': 'events/out' }

describe('@flowcast/otel: waits', () => {
  it('records a wait that falls back to polling and back: counters and one span', async () => {
    const server = await startServer()
    const otel = harness()
    const flowcast = flowcastFor(server, otel)
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const pending = flowcast.waitForFlowRun(run.id, { timeoutMs: 10_000 })
    await server.waitForSubscriber({ existing: true })
    await until(
      async () => (await otel.collect()).value(m.connections.name, eventsOut) === 1,
      'the first connection',
    )
    expect((await otel.collect()).value(m.waitsActive.name)).toBe(1)

    expect(server.faults.dropConnections({ path: '/events/out' })).toBe(1)
    await until(
      async () => (await otel.collect()).value(m.connections.name, eventsOut) === 2,
      'the reconnect',
    )
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    const result = await pending
    expect(result).toMatchObject({ outcome: 'terminal', source: 'websocket' })

    const collected = await otel.collect()
    expect(collected.points(m.waitFallbacks.name)).toEqual(
      expect.arrayContaining([
        { attributes: { 'flowcast.wait.fallback.direction': 'to_polling' }, value: 1 },
        { attributes: { 'flowcast.wait.fallback.direction': 'to_push' }, value: 1 },
      ]),
    )
    expect(collected.points(m.waitFallbacks.name)).toHaveLength(2)
    expect(collected.points(m.waitOutcomes.name)).toEqual([
      {
        attributes: { 'flowcast.wait.outcome': 'terminal', 'flowcast.wait.source': 'websocket' },
        value: 1,
      },
    ])
    expect(collected.value(m.waitsActive.name)).toBe(0)
    expect(collected.value(m.waitDuration.name)).toBe(1)
    expect(collected.points(m.reconnects.name)).toEqual([
      {
        attributes: { ...eventsOut, 'flowcast.reconnect.cause': 'transport_failed' },
        value: 1,
      },
    ])
    expect(collected.value(m.stalls.name)).toBe(0)
    // The start read and the fallback reads went over REST, each measured.
    const requests = collected.points(m.httpDuration.name)
    expect(collected.value(m.httpDuration.name)).toBeGreaterThanOrEqual(2)
    for (const point of requests) {
      expect(point.attributes).toMatchObject({
        'http.request.method': expect.stringMatching(/^(GET|POST)$/),
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
      })
    }
    expect(collected.value(m.pollingRuns.name)).toBeGreaterThanOrEqual(2)

    const waits = otel.spans().filter((span) => span.name === 'flowcast.wait_for_flow_run')
    expect(waits).toHaveLength(1)
    expect(waits[0]!.kind).toBe(SpanKind.INTERNAL)
    expect(waits[0]!.attributes).toEqual({
      'flowcast.flow_run.id': run.id,
      'flowcast.wait.outcome': 'terminal',
      'flowcast.wait.source': 'websocket',
      'flowcast.flow_run.state.type': 'COMPLETED',
      'flowcast.flow_run.state.name': 'Completed',
    })
    const reads = otel.spans().filter((span) => span.kind === SpanKind.CLIENT)
    expect(reads.length).toBe(requests.reduce((sum, point) => sum + point.value, 0))
  })

  it('records a timeout as an outcome without a source', async () => {
    const server = await startServer()
    const otel = harness()
    const flowcast = flowcastFor(server, otel)
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const result = await flowcast.waitForFlowRun(run.id, { timeoutMs: 50 })
    expect(result.outcome).toBe('timeout')
    const collected = await otel.collect()
    expect(collected.points(m.waitOutcomes.name)).toEqual([
      {
        attributes: { 'flowcast.wait.outcome': 'timeout', 'flowcast.wait.source': 'none' },
        value: 1,
      },
    ])
    const [span] = otel.spans().filter((s) => s.name === 'flowcast.wait_for_flow_run')
    expect(span?.attributes).toMatchObject({
      'flowcast.flow_run.id': run.id,
      'flowcast.wait.outcome': 'timeout',
      'flowcast.wait.source': 'none',
    })
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR)
  })
})

describe('@flowcast/otel: the events subscriber', () => {
  function subscribe(server: FakePrefectServer, otel: OtelHarness): EventsSubscriber {
    const subscriber = createEventsSubscriber({
      apiUrl: server.apiUrl,
      WebSocket: WebSocket as never,
      profile: 'test',
      instrumentation: otel.instrumentation,
    })
    cleanups.push(() => subscriber.close())
    return subscriber
  }

  it('counts one reconnect for a dropped socket, and every event once', async () => {
    const server = await startServer()
    const otel = harness()
    const subscriber = subscribe(server, otel)
    const seen: string[] = []
    subscriber.onEvent((event) => seen.push(event.id))
    await server.waitForSubscriber({ existing: true })
    for (let i = 0; i < 20; i++) server.publishEvent(thing(i))
    await until(() => seen.length === 20, '20 events')
    server.faults.dropConnections({ path: '/events/out' })
    for (let i = 20; i < 40; i++) server.publishEvent(thing(i))
    await until(() => seen.length === 40, '40 events')
    await until(() => subscriber.stats.duplicates > 0, 'the replayed duplicates')

    const collected = await otel.collect()
    const { stats } = subscriber
    expect(collected.value(m.reconnects.name)).toBe(1)
    expect(
      collected.value(m.reconnects.name, { 'flowcast.reconnect.cause': 'transport_failed' }),
    ).toBe(1)
    expect(collected.value(m.connections.name)).toBe(2)
    expect(collected.value(m.consumedMessages.name, eventsOut)).toBe(40)
    expect(collected.points(m.consumedMessages.name)[0]!.attributes).toEqual({
      'messaging.system': 'prefect',
      'messaging.operation.name': 'receive',
      'messaging.destination.name': 'events/out',
    })
    expect(collected.value(m.duplicates.name)).toBe(stats.duplicates)
    expect(collected.value(m.filtered.name)).toBe(stats.filtered)
    expect(collected.value(m.skippedFrames.name)).toBe(0)
  })

  it('counts skipped frames by kind', async () => {
    const server = await startServer()
    const otel = harness()
    const subscriber = subscribe(server, otel)
    const seen: string[] = []
    subscriber.onEvent((event) => seen.push(event.id))
    await server.waitForSubscriber({ existing: true })
    server.faults.injectFrames([
      { type: 'checkpoint', offset: 1 },
      { type: 'keep-alive' },
      {},
      'garbage that is not JSON',
      new Uint8Array([0, 1, 2]),
      { type: 'event', event: { nope: true } },
      { type: 'auth_success' },
    ])
    server.publishEvent(thing(1))
    await until(() => seen.length === 1, 'the event after the garbage')

    const collected = await otel.collect()
    const byKind = Object.fromEntries(
      collected
        .points(m.skippedFrames.name)
        .map((point) => [point.attributes['flowcast.frame.kind'], point.value]),
    )
    expect(byKind).toEqual(subscriber.stats.skippedByKind)
    expect(collected.points(m.skippedFrames.name)[0]!.attributes).toMatchObject(eventsOut)
    expect(Object.keys(subscriber.stats.skippedByKind).length).toBeGreaterThanOrEqual(3)
    expect(subscriber.stats.skippedFrames).toBe(7)
  })
})

describe('@flowcast/otel: the logs subscriber', () => {
  it('counts logs delivered and skipped frames by kind on logs/out', async () => {
    const server = await startServer()
    const otel = harness()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const got: string[] = []
    const subscriber = createLogsSubscriber({
      apiUrl: server.apiUrl,
      WebSocket: WebSocket as never,
      filter: { flow_run_id: { any_: [run.id] } },
      instrumentation: otel.instrumentation,
      onLog: (log) => got.push(log.message),
    })
    cleanups.push(() => subscriber.close())
    await server.logs.waitForSubscriber({ existing: true })
    server.logs.injectFrames(['not json', { type: 'keep-alive' }])
    server.logs.create([
      { message: 'one', flow_run_id: run.id },
      { message: 'two', flow_run_id: run.id },
    ])
    await until(() => got.length === 2, 'two logs')

    const collected = await otel.collect()
    const logsOut = { 'messaging.destination.name': 'logs/out' }
    expect(collected.value(m.consumedMessages.name, logsOut)).toBe(2)
    expect(collected.value(m.connections.name, logsOut)).toBe(1)
    const byKind = Object.fromEntries(
      collected
        .points(m.skippedFrames.name)
        .map((point) => [point.attributes['flowcast.frame.kind'], point.value]),
    )
    expect(byKind).toEqual(subscriber.stats.skippedByKind)
    expect(subscriber.stats.skippedFrames).toBe(2)
  })
})

describe('@flowcast/otel: zero cost when unused', () => {
  it('creates no instrument and no span when no instrumentation is passed', async () => {
    const created: string[] = []
    const otel = harness()
    // Global providers that note every meter, instrument and tracer anyone asks for.
    const meterProvider = {
      getMeter(name: string, version?: string) {
        created.push(`meter ${name}`)
        const meter = otel.meterProvider.getMeter(name, version)
        return new Proxy(meter, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver) as unknown
            if (
              typeof key === 'string' &&
              key.startsWith('create') &&
              typeof value === 'function'
            ) {
              return (...args: unknown[]) => {
                created.push(`${key} ${String(args[0])}`)
                return (value as (...a: unknown[]) => unknown).apply(target, args)
              }
            }
            return value
          },
        })
      },
    }
    const tracerProvider = {
      getTracer(name: string) {
        created.push(`tracer ${name}`)
        return otel.tracerProvider.getTracer(name)
      },
    }
    metrics.setGlobalMeterProvider(meterProvider)
    trace.setGlobalTracerProvider(tracerProvider)
    cleanups.push(() => {
      metrics.disable()
      trace.disable()
    })

    const server = await startServer()
    const flowcast = flowcastFor(server)
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    const result = await flowcast.waitForFlowRun(run.id, { timeoutMs: 5_000 })
    expect(result.outcome).toBe('terminal')
    const seen: string[] = []
    const subscriber = flowcast.subscribe()
    subscriber.onEvent((event) => seen.push(event.id))
    await server.waitForSubscriber({ existing: true })
    server.publishEvent(thing(1))
    await until(() => seen.length >= 1, 'an event')
    expect(created).toEqual([])
    expect(otel.spans()).toEqual([])

    // The same global providers do see flowcast once it is given an instrumentation.
    const { createOpenTelemetryInstrumentation } = await import('../src/index.js')
    const instrumented = createFlowcast({
      apiUrl: server.apiUrl,
      env: {},
      profile: 'test',
      instrumentation: createOpenTelemetryInstrumentation(),
    })
    cleanups.push(() => instrumented.close())
    await instrumented.waitForFlowRun(run.id, { timeoutMs: 5_000 })
    expect(created).toEqual(
      expect.arrayContaining([
        'meter @flowcast/otel',
        'tracer @flowcast/otel',
        `createObservableUpDownCounter ${m.waitsActive.name}`,
        `createHistogram ${m.httpDuration.name}`,
      ]),
    )
  })
})

describe('@flowcast/otel: context propagation', () => {
  it('nests spans under the caller and sends traceparent once a propagator is registered', async () => {
    const server = await startServer()
    const otel = harness()
    const flowcast = flowcastFor(server, otel)
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const tracer = otel.tracerProvider.getTracer('test')

    // No propagator registered: nothing is injected.
    await flowcast.client.readFlowRun(run.id)
    expect(server.recorder.httpRequests.at(-1)!.headers['traceparent']).toBeUndefined()

    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    cleanups.push(() => {
      propagation.disable()
      context.disable()
    })
    server.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    const caller = await tracer.startActiveSpan('caller', async (span) => {
      await flowcast.client.readFlowRun(run.id)
      await flowcast.waitForFlowRun(run.id, { timeoutMs: 5_000 })
      span.end()
      return span
    })
    const traceId = caller.spanContext().traceId
    const rest = otel
      .spans()
      .find(
        (span) =>
          span.kind === SpanKind.CLIENT &&
          span.parentSpanContext?.spanId === caller.spanContext().spanId,
      )
    expect(rest).toBeDefined()
    expect(rest!.name).toBe('GET /flow_runs/{id}')
    expect(rest!.spanContext().traceId).toBe(traceId)
    expect(rest!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.template': '/flow_runs/{id}',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    })
    const sent = server.recorder.httpRequests.filter((r) => r.headers['traceparent'])
    expect(sent.length).toBeGreaterThanOrEqual(1)
    expect(sent[0]!.headers['traceparent']).toBe(`00-${traceId}-${rest!.spanContext().spanId}-01`)
    const wait = otel.spans().find((span) => span.name === 'flowcast.wait_for_flow_run')
    expect(wait?.parentSpanContext?.spanId).toBe(caller.spanContext().spanId)
    expect(wait?.spanContext().traceId).toBe(traceId)
  })
})
