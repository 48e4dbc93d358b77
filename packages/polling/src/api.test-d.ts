import { describe, expectTypeOf, test } from 'vitest'
import type {
  DeploymentFlowRunCreate,
  FlowRunFilterBody,
  PrefectApi,
  PrefectApiInit,
  PrefectApiOperation,
  PrefectApiPaths,
  PrefectApiPathsWith,
  PrefectApiResponse,
  PrefectApiSchema,
  PrefectClient,
  StateCreate,
} from './index.js'

declare const api: PrefectApi
declare const id: string

describe('paths', () => {
  test('every method lists exactly the paths that accept it', () => {
    expectTypeOf<'/flow_runs/{id}'>().toExtend<PrefectApiPathsWith<'GET'>>()
    expectTypeOf<'/flow_runs/{id}'>().toExtend<PrefectApiPathsWith<'PATCH'>>()
    expectTypeOf<'/flow_runs/{id}'>().toExtend<PrefectApiPathsWith<'DELETE'>>()
    expectTypeOf<'/flow_runs/{id}'>().not.toExtend<PrefectApiPathsWith<'POST'>>()
    expectTypeOf<'/flow_runs/{id}/set_state'>().toExtend<PrefectApiPathsWith<'POST'>>()
    expectTypeOf<'/flow_runs/{id}/set_state'>().not.toExtend<PrefectApiPathsWith<'GET'>>()
    expectTypeOf<'/deployments/filter'>().toExtend<keyof PrefectApiPaths>()
  })

  test('an unknown path or a path without that method is a type error', () => {
    // @ts-expect-error not a Prefect path
    void api.GET('/flow_runs/{id}/nope', { params: { path: { id } } })
    // @ts-expect-error set_state only accepts POST
    void api.GET('/flow_runs/{id}/set_state', { params: { path: { id } } })
    // @ts-expect-error the workspace prefix belongs in the API URL, not the path
    void api.GET('/accounts/{a}/workspaces/{w}/flow_runs/{id}')
  })
})

describe('params', () => {
  test('path params are required and typed', () => {
    // @ts-expect-error the path param is missing
    void api.GET('/flow_runs/{id}')
    // @ts-expect-error the path param is missing
    void api.GET('/flow_runs/{id}', { params: {} })
    // @ts-expect-error the path param has another name
    void api.GET('/flow_runs/{id}', { params: { path: { flow_run_id: id } } })
    // @ts-expect-error a path param is a string
    void api.GET('/flow_runs/{id}', { params: { path: { id: 42 } } })
    expectTypeOf(api.GET('/flow_runs/{id}', { params: { path: { id } } })).resolves.toEqualTypeOf<
      PrefectApiSchema<'FlowRunResponse'>
    >()
  })

  test('query and header params are typed; required ones must be given', () => {
    void api.GET('/flow_run_states/', { params: { query: { flow_run_id: id } } })
    // @ts-expect-error flow_run_id is a required query param
    void api.GET('/flow_run_states/', { params: { query: {} } })
    void api.GET('/flow_runs/{id}/graph-v2', {
      params: { path: { id }, query: { since: '2026-01-01T00:00:00Z' } },
    })
    void api.GET('/flow_runs/{id}', {
      params: { path: { id }, header: { 'x-prefect-api-version': '0.8.4' } },
    })
    // @ts-expect-error an unknown query param
    void api.GET('/flow_runs/{id}', { params: { path: { id }, query: { verbose: true } } })
    // @ts-expect-error this path takes no params
    void api.GET('/health', { params: { query: { verbose: true } } })
  })

  test('calls without required parts need no init at all', () => {
    expectTypeOf(api.GET('/health')).resolves.toEqualTypeOf<boolean>()
    expectTypeOf(api.GET('/admin/version')).resolves.toEqualTypeOf<string>()
    expectTypeOf(api.POST('/flow_runs/filter')).resolves.toEqualTypeOf<
      PrefectApiSchema<'FlowRunResponse'>[]
    >()
  })
})

describe('bodies', () => {
  test('a required body must be given and match the schema', () => {
    void api.POST('/flow_runs/{id}/set_state', {
      params: { path: { id } },
      body: { state: { type: 'CANCELLING', message: 'stop' }, force: true },
    })
    // @ts-expect-error the body is required
    void api.POST('/flow_runs/{id}/set_state', { params: { path: { id } } })
    void api.POST('/flow_runs/{id}/set_state', {
      params: { path: { id } },
      // @ts-expect-error not a state type
      body: { state: { type: 'STOPPED' } },
    })
    void api.POST('/deployments/filter', {
      // @ts-expect-error limit is a number
      body: { limit: '10' },
    })
    // @ts-expect-error a GET takes no body
    void api.GET('/flow_runs/{id}', { params: { path: { id } }, body: {} })
  })

  test('the body type is the schema of the operation', () => {
    type SetState = PrefectApiInit<PrefectApiOperation<'/flow_runs/{id}/set_state', 'POST'>>
    expectTypeOf<SetState['body']>().toEqualTypeOf<
      PrefectApiSchema<'Body_set_flow_run_state_flow_runs__id__set_state_post'>
    >()
    expectTypeOf<SetState>().toHaveProperty('signal')
    expectTypeOf<SetState>().toHaveProperty('timeoutMs')
    expectTypeOf<SetState>().toHaveProperty('retry')
  })

  test("the hand-written client's body types fit the generated ones", () => {
    expectTypeOf<StateCreate>().toExtend<PrefectApiSchema<'StateCreate'>>()
    expectTypeOf<DeploymentFlowRunCreate>().toExtend<PrefectApiSchema<'DeploymentFlowRunCreate'>>()
    expectTypeOf<FlowRunFilterBody>().toExtend<
      NonNullable<PrefectApiInit<PrefectApiOperation<'/flow_runs/filter', 'POST'>>['body']>
    >()
  })
})

describe('responses', () => {
  test('the 2xx body is the result; 204 is undefined', () => {
    expectTypeOf<
      PrefectApiResponse<PrefectApiOperation<'/flow_runs/{id}/set_state', 'POST'>>
    >().toEqualTypeOf<PrefectApiSchema<'OrchestrationResult'>>()
    expectTypeOf(api.POST('/artifacts/filter', { body: { limit: 5 } })).resolves.toEqualTypeOf<
      PrefectApiSchema<'Artifact'>[]
    >()
    expectTypeOf(
      api.DELETE('/flow_runs/{id}', { params: { path: { id } } }),
    ).resolves.toEqualTypeOf<undefined>()
    expectTypeOf(
      api.PATCH('/deployments/{id}', { params: { path: { id } }, body: { paused: true } }),
    ).resolves.toEqualTypeOf<undefined>()
  })

  test('the client exposes the typed calls', () => {
    expectTypeOf<PrefectClient['api']>().toEqualTypeOf<PrefectApi>()
  })
})
