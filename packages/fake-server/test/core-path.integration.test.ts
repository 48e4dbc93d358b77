import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api, eventOf, expectSchema, farFilter, subscribe } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

describe('core path', () => {
  it('streams a deployment run Scheduled -> Pending -> Running -> Completed with backfill then live', async () => {
    server = await createFakePrefectServer()
    expect(server.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/)
    const deployment = server.createDeployment({
      name: 'nightly',
      flowName: 'etl-pipeline',
      tags: ['nightly', 'etl'],
    })
    const created = await api(server.apiUrl, `/deployments/${deployment.id}/create_flow_run`, {
      body: { tags: ['adhoc'] },
    })
    expect(created.status).toBe(201)
    expectSchema('FlowRunResponse', created.body)
    expect(created.body.tags).toEqual(['nightly', 'etl', 'adhoc'])
    expect(created.body.state_type).toBe('SCHEDULED')

    const socket = await subscribe(
      server.apiUrl,
      farFilter({ event: { prefix: ['prefect.flow-run.'] } }),
    )
    const scheduled = eventOf(await socket.next())
    expect(scheduled.event).toBe('prefect.flow-run.Scheduled')
    expect(scheduled.id).toBe(created.body.state_id)

    await server.runLifecycle(created.body.id, ['Pending', 'Running', 'Completed'])
    const events = (await socket.take(3)).map(eventOf)
    expect(events.map((e) => e.event)).toEqual([
      'prefect.flow-run.Pending',
      'prefect.flow-run.Running',
      'prefect.flow-run.Completed',
    ])
    expect(events[0]!.follows).toBe(scheduled.id)
    expect(events[2]!.resource['prefect.run-count']).toBe('1')
    const read = await api(server.apiUrl, `/flow_runs/${created.body.id}`)
    expect(read.status).toBe(200)
    expectSchema('FlowRunResponse', read.body)
    expect(read.body.state_type).toBe('COMPLETED')
    socket.close()
  })

  it('closes when its signal aborts, and refuses to start with an aborted signal', async () => {
    const controller = new AbortController()
    server = await createFakePrefectServer({ signal: controller.signal })
    const url = `${server.apiUrl}/health`
    expect((await fetch(url)).status).toBe(200)
    controller.abort()
    await server.closed
    await expect(fetch(url)).rejects.toThrow()
    await expect(createFakePrefectServer({ signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    })
  })
})
