import { readFileSync } from 'node:fs'
import { openApiPath } from '@flowcast/prefect-spec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api, expectSchema } from './helpers.js'

type Schema = { properties?: Record<string, SchemaRef>; $ref?: string; anyOf?: SchemaRef[] }
type SchemaRef = Schema

const doc = JSON.parse(readFileSync(openApiPath, 'utf8')) as {
  components: { schemas: Record<string, Schema> }
}

function deref(schema: SchemaRef | undefined): Schema | undefined {
  if (!schema) return undefined
  if (schema.$ref) return doc.components.schemas[schema.$ref.split('/').pop()!]
  if (schema.anyOf) return schema.anyOf.map(deref).find((s) => s?.properties)
  return schema
}

/** Every operand path of a filter model, e.g. `state.type.any_` (the `operator` keys aside). */
function operands(schema: Schema, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, value]) => {
    if (key === 'operator') return []
    const inner = deref(value)
    return inner?.properties ? operands(inner, `${prefix}${key}.`) : [`${prefix}${key}`]
  })
}

const filterModels = {
  flow_runs: 'FlowRunFilter',
  flows: 'FlowFilter',
  deployments: 'DeploymentFilter',
  work_pools: 'WorkPoolFilter',
  work_pool_queues: 'WorkQueueFilter',
  task_runs: 'TaskRunFilter',
} as const

/** `{ a: { b: value } }` from `'a.b'`. */
function nest(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>
}

const past = '2000-01-01T00:00:00Z'
const future = '2100-01-01T00:00:00Z'
const someId = '0199d1a4-0000-7000-8000-000000000001'

describe('flow-run filters: every key of the OpenAPI filter models is evaluated', () => {
  let server: FakePrefectServer
  const ids: Record<string, string> = {}
  /** key (`flow_runs.name.like_`) → [operand, expected run names] */
  let table: Record<string, [unknown, string[]]>

  beforeAll(async () => {
    server = await createFakePrefectServer()
    const d1 = server.createDeployment({
      flowName: 'alpha',
      name: 'dep-one',
      tags: ['x'],
      workPool: 'pool-a',
      workQueue: 'queue-a',
    })
    const d2 = server.createDeployment({
      flowName: 'beta',
      name: 'dep-two',
      workPool: null,
      workQueue: null,
    })
    const r1 = server.createFlowRun({
      deploymentId: d1.id,
      name: 'r1',
      tags: ['y'],
      idempotencyKey: 'k1',
    })
    server.createFlowRun({ deploymentId: d2.id, name: 'r2' })
    const r3 = server.createFlowRun({
      flowName: 'gamma',
      name: 'r3',
      tags: ['z'],
      createdBy: { id: someId, type: 'AUTOMATION', display_value: 'auto' },
    })
    await server.runLifecycle(r1.id, ['Pending', 'Running', 'Completed'])
    await server.runLifecycle(r3.id, ['Running', 'Failed'])
    Object.assign(ids, {
      d1: d1.id,
      d2: d2.id,
      pool: d1.workPool!.id,
      queue: d1.workQueue!.id,
      r1: r1.id,
      alpha: r1.flow_id,
    })
    const none: string[] = []
    table = {
      'flow_runs.id.any_': [[r1.id], ['r1']],
      'flow_runs.id.not_any_': [[r1.id], ['r2', 'r3']],
      'flow_runs.name.any_': [['r2'], ['r2']],
      'flow_runs.name.like_': ['R3', ['r3']],
      'flow_runs.tags.all_': [['x', 'y'], ['r1']],
      'flow_runs.tags.any_': [
        ['z', 'y'],
        ['r1', 'r3'],
      ],
      'flow_runs.tags.is_null_': [true, ['r2']],
      'flow_runs.deployment_id.any_': [[d2.id], ['r2']],
      'flow_runs.deployment_id.is_null_': [true, ['r3']],
      'flow_runs.work_queue_name.any_': [['queue-a'], ['r1']],
      'flow_runs.work_queue_name.is_null_': [true, ['r2', 'r3']],
      'flow_runs.state.type.any_': [['FAILED'], ['r3']],
      'flow_runs.state.type.not_any_': [['FAILED'], ['r1', 'r2']],
      'flow_runs.state.name.any_': [['Completed'], ['r1']],
      'flow_runs.state.name.not_any_': [['Completed'], ['r2', 'r3']],
      'flow_runs.flow_version.any_': [['1.0'], none],
      'flow_runs.start_time.before_': [future, ['r1', 'r3']],
      'flow_runs.start_time.after_': [future, none],
      'flow_runs.start_time.is_null_': [true, ['r2']],
      'flow_runs.end_time.before_': [past, none],
      'flow_runs.end_time.after_': [past, ['r1', 'r3']],
      'flow_runs.end_time.is_null_': [true, ['r2']],
      'flow_runs.expected_start_time.before_': [past, none],
      'flow_runs.expected_start_time.after_': [future, none],
      'flow_runs.next_scheduled_start_time.before_': [future, ['r2']],
      'flow_runs.next_scheduled_start_time.after_': [past, ['r2']],
      'flow_runs.parent_flow_run_id.any_': [[r1.id], none],
      'flow_runs.parent_task_run_id.any_': [[someId], none],
      'flow_runs.parent_task_run_id.is_null_': [false, none],
      'flow_runs.idempotency_key.any_': [['k1'], ['r1']],
      'flow_runs.idempotency_key.not_any_': [['k1'], none],
      'flow_runs.created_by.id_': [[someId], ['r3']],
      'flow_runs.created_by.type_': [['AUTOMATION'], ['r3']],
      'flow_runs.created_by.is_null_': [true, ['r1', 'r2']],
      'flows.id.any_': [[r1.flow_id], ['r1']],
      'flows.id.not_any_': [[r1.flow_id], ['r2', 'r3']],
      'flows.deployment.is_null_': [true, ['r3']],
      'flows.name.any_': [['beta'], ['r2']],
      'flows.name.like_': ['AMM', ['r3']],
      'flows.tags.all_': [['t'], none],
      'flows.tags.is_null_': [false, none],
      'deployments.id.any_': [[d1.id], ['r1']],
      'deployments.id.not_any_': [[d1.id], ['r2']],
      'deployments.name.any_': [['dep-two'], ['r2']],
      'deployments.name.like_': ['ONE', ['r1']],
      'deployments.flow_or_deployment_name.like_': ['beta', ['r2']],
      'deployments.paused.eq_': [true, none],
      'deployments.tags.all_': [['x'], ['r1']],
      'deployments.tags.any_': [['x', 'q'], ['r1']],
      'deployments.tags.is_null_': [true, ['r2']],
      'deployments.work_queue_name.any_': [['queue-a'], ['r1']],
      'deployments.concurrency_limit.ge_': [1, none],
      'deployments.concurrency_limit.le_': [5, none],
      'deployments.concurrency_limit.is_null_': [true, ['r1', 'r2']],
      'work_pools.id.any_': [[d1.workPool!.id], ['r1']],
      'work_pools.name.any_': [['nope'], none],
      'work_pools.type.any_': [['process'], ['r1']],
      'work_pool_queues.id.any_': [[d1.workQueue!.id], ['r1']],
      'work_pool_queues.name.any_': [['nope'], none],
      'work_pool_queues.name.startswith_': [['QUEUE'], ['r1']],
    }
    // The fake has no task runs: every task-run filter matches no flow run.
    for (const key of operands(doc.components.schemas.TaskRunFilter!)) {
      const operand = key.endsWith('_null_') || key.endsWith('exists_') ? true : ['x']
      const time = /_time\./.test(key) && !key.endsWith('is_null_')
      table[`task_runs.${key}`] = [time ? past : key.endsWith('like_') ? 'x' : operand, none]
    }
    table['task_runs.id.any_'] = [[someId], none]
    table['task_runs.flow_run_id.any_'] = [[r1.id], none]
    table['task_runs.state.type.any_'] = [['COMPLETED'], none]
  })
  afterAll(() => server.close())

  it('has a case for every operand the OpenAPI filter models define', () => {
    const all = Object.entries(filterModels).flatMap(([key, model]) =>
      operands(doc.components.schemas[model]!).map((path) => `${key}.${path}`),
    )
    expect(all.length).toBeGreaterThan(70)
    expect(Object.keys(table).sort()).toEqual(all.sort())
  })

  it('applies each operand with Prefect’s semantics; count and paginate agree with filter', async () => {
    const wrong: string[] = []
    for (const [key, [operand, expected]] of Object.entries(table)) {
      const body = nest(key, operand)
      const filtered = await api(server.apiUrl, '/flow_runs/filter', { body })
      const names =
        filtered.status === 200 ? filtered.body.map((r: { name: string }) => r.name) : []
      const count = await api(server.apiUrl, '/flow_runs/count', { body })
      const page = await api(server.apiUrl, '/flow_runs/paginate', { body: { ...body, limit: 2 } })
      const got = `${filtered.status} ${[...names].sort().join(',')} count=${count.body} pages=${page.body?.pages}`
      const want = `200 ${expected.join(',')} count=${expected.length} pages=${Math.ceil(expected.length / 2)}`
      if (got !== want) wrong.push(`${key}: got ${got}, want ${want}`)
    }
    console.log(`flow-run filter operands evaluated: ${Object.keys(table).length}`)
    expect(wrong).toEqual([])
  })

  it('combines with operator: top-level and_/or_, and inside a sub-filter', async () => {
    const names = async (body: unknown) =>
      (
        await api(server.apiUrl, '/flow_runs/filter', {
          body: { ...(body as object), sort: 'NAME_ASC' },
        })
      ).body.map((r: { name: string }) => r.name)
    const either = { name: { any_: ['r1'] }, tags: { is_null_: true } }
    expect(await names({ flow_runs: either })).toEqual([])
    expect(await names({ flow_runs: { ...either, operator: 'or_' } })).toEqual(['r1', 'r2'])
    expect(
      await names({ flow_runs: { tags: { operator: 'or_', all_: ['z'], is_null_: true } } }),
    ).toEqual(['r2', 'r3'])
    expect(
      await names({
        flow_runs: {
          state: { operator: 'or_', type: { any_: ['FAILED'] }, name: { any_: ['Scheduled'] } },
        },
      }),
    ).toEqual(['r2', 'r3'])
    // Sub-filters of different models all hold (Prefect joins them).
    expect(
      await names({
        flows: { name: { any_: ['alpha', 'beta'] } },
        deployments: { tags: { any_: ['x'] } },
      }),
    ).toEqual(['r1'])
  })

  it('refuses unknown keys and malformed operands with 422, naming them', async () => {
    const unknown = await api(server.apiUrl, '/flow_runs/filter', {
      body: { flows: { name: { any_: ['a'], nope_: 1 } } },
    })
    expect(unknown.status).toBe(422)
    expect(unknown.body.exception_detail).toContainEqual(
      expect.objectContaining({ type: 'extra_forbidden', loc: ['body', 'flows', 'name', 'nope_'] }),
    )
    const badUuid = await api(server.apiUrl, '/flow_runs/filter', {
      body: { deployments: { id: { any_: ['not-a-uuid'] } } },
    })
    expect(badUuid.status).toBe(422)
    expect(badUuid.body.exception_detail[0]).toMatchObject({
      type: 'uuid_parsing',
      loc: ['body', 'deployments', 'id', 'any_', 0],
    })
    const badTime = await api(server.apiUrl, '/flow_runs/filter', {
      body: { flow_runs: { start_time: { after_: 'yesterday' } } },
    })
    expect(badTime.status).toBe(422)
  })

  it('POST /flows/filter and /deployments/filter, /deployments/count apply the same filters', async () => {
    const flows = await api(server.apiUrl, '/flows/filter', {
      body: { flow_runs: { state: { type: { any_: ['COMPLETED', 'FAILED'] } } } },
    })
    expect(flows.status).toBe(200)
    for (const flow of flows.body) expectSchema('Flow', flow)
    expect(flows.body.map((f: { name: string }) => f.name)).toEqual(['alpha', 'gamma'])
    const withDeployments = await api(server.apiUrl, '/flows/filter', {
      body: { flows: { deployment: { is_null_: false } }, sort: 'NAME_DESC' },
    })
    expect(withDeployments.body.map((f: { name: string }) => f.name)).toEqual(['beta', 'alpha'])
    const deployments = await api(server.apiUrl, '/deployments/filter', {
      body: { work_pools: { name: { any_: ['pool-a'] } } },
    })
    expect(deployments.status).toBe(200)
    for (const d of deployments.body) expectSchema('DeploymentResponse', d)
    expect(deployments.body.map((d: { name: string }) => d.name)).toEqual(['dep-one'])
    const byRuns = await api(server.apiUrl, '/deployments/filter', {
      body: { flow_runs: { state: { type: { any_: ['SCHEDULED'] } } } },
    })
    expect(byRuns.body.map((d: { name: string }) => d.name)).toEqual(['dep-two'])
    expect((await api(server.apiUrl, '/deployments/count', { body: {} })).body).toBe(2)
    expect(
      (
        await api(server.apiUrl, '/deployments/count', {
          body: { flows: { name: { like_: 'alp' } } },
        })
      ).body,
    ).toBe(1)
    expect((await api(server.apiUrl, '/deployments/count', { body: { task_runs: {} } })).body).toBe(
      0,
    )
  })
})
