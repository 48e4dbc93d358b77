// The README's "Any other endpoint" examples, type-checked here; test/readme-sync.test.ts keeps
// the README's copies identical to the regions below.
import { expectTypeOf, test } from 'vitest'
import { createPrefectClient, type PrefectApiSchema } from '../src/index.js'

const client = createPrefectClient({ apiUrl: 'http://127.0.0.1:4200/api' })
declare const flowRunId: string

test('cancel a run: set_state with CANCELLING', async () => {
  // #region cancel
  const result = await client.api.POST('/flow_runs/{id}/set_state', {
    params: { path: { id: flowRunId } },
    body: { state: { type: 'CANCELLING', message: 'Cancelled by the release pipeline' } },
  })
  if (result.status !== 'ACCEPT') console.warn(`not cancelled (${result.status})`, result.details)
  // #endregion
  expectTypeOf(result.status).toEqualTypeOf<'ACCEPT' | 'REJECT' | 'ABORT' | 'WAIT'>()
})

test('list deployments with a filter', async () => {
  // #region deployments
  const deployments = await client.api.POST('/deployments/filter', {
    body: {
      deployments: { tags: { all_: ['nightly'] }, paused: { eq_: false } },
      sort: 'NAME_ASC',
      limit: 50,
    },
  })
  for (const deployment of deployments) console.log(deployment.id, deployment.name)
  // #endregion
  expectTypeOf(deployments).toEqualTypeOf<PrefectApiSchema<'DeploymentResponse'>[]>()
})

test("read a run's artifacts", async () => {
  // #region artifacts
  const artifacts = await client.api.POST('/artifacts/filter', {
    body: { artifacts: { flow_run_id: { any_: [flowRunId] } }, sort: 'CREATED_DESC' },
  })
  for (const artifact of artifacts) console.log(artifact.key, artifact.type, artifact.data)
  // #endregion
  expectTypeOf(artifacts).toEqualTypeOf<PrefectApiSchema<'Artifact'>[]>()
})
