import { json } from './http.js'
import {
  countDeployments,
  filterDeployments,
  filterFlows,
  readDeployment,
  readDeploymentByName,
  readFlow,
} from './catalog.js'
import { eventsCountBy, eventsFilter, eventsNext, postEvents } from './events.js'
import {
  countFlowRuns,
  createFlowRun,
  filterFlowRuns,
  paginateFlowRuns,
  readFlowRun,
  readFlowRunState,
  readFlowRunStates,
  setFlowRunState,
} from './flow-runs.js'
import { handleLogsRest } from '../model/logs-rest.js'
import { RouteTable, type Route } from './routes.js'

/** `GET /csrf-token?client=…` with CSRF protection off, Prefect's default (docs/protocol.md §6.1). */
const csrfToken: Route['handle'] = ({ url }) => {
  if (!url.searchParams.has('client')) {
    return json(422, {
      exception_message: 'Invalid request received.',
      exception_detail: [
        { type: 'missing', loc: ['query', 'client'], msg: 'Field required', input: null },
      ],
      request_body: null,
    })
  }
  return json(422, { detail: 'CSRF protection is disabled.' })
}

/** `POST /logs/` and `POST /logs/filter` over the model's log store (docs/protocol.md §11.2). */
const logs: Route['handle'] = ({ model, method, path, body }) =>
  handleLogsRest(model.logStore, method, path, body) ?? json(404, { detail: 'Not Found' })

/**
 * Every REST route the fake implements, paths as Prefect's OpenAPI schema writes them. Adding
 * a route is one entry; literal paths come before parameterised ones they overlap.
 */
export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', public: true, handle: () => json(200, true) },
  { method: 'GET', path: '/csrf-token', ossOnly: true, handle: csrfToken },
  { method: 'GET', path: '/admin/version', handle: ({ model }) => json(200, model.version) },
  { method: 'POST', path: '/events', handle: postEvents },
  { method: 'POST', path: '/events/filter', handle: eventsFilter },
  { method: 'GET', path: '/events/filter/next', handle: eventsNext },
  { method: 'POST', path: '/events/count-by/:countable', handle: eventsCountBy },
  { method: 'POST', path: '/flow_runs/filter', handle: filterFlowRuns },
  { method: 'POST', path: '/flow_runs/count', handle: countFlowRuns },
  { method: 'POST', path: '/flow_runs/paginate', handle: paginateFlowRuns },
  { method: 'GET', path: '/flow_runs/:id', handle: readFlowRun },
  { method: 'POST', path: '/flow_runs/:id/set_state', handle: setFlowRunState },
  { method: 'GET', path: '/flow_run_states/', handle: readFlowRunStates },
  { method: 'GET', path: '/flow_run_states/:id', handle: readFlowRunState },
  { method: 'POST', path: '/flows/filter', handle: filterFlows },
  { method: 'GET', path: '/flows/:id', handle: readFlow },
  { method: 'POST', path: '/deployments/filter', handle: filterDeployments },
  { method: 'POST', path: '/deployments/count', handle: countDeployments },
  {
    method: 'GET',
    path: '/deployments/name/:flow_name/:deployment_name',
    handle: readDeploymentByName,
  },
  { method: 'GET', path: '/deployments/:id', handle: readDeployment },
  { method: 'POST', path: '/deployments/:id/create_flow_run', handle: createFlowRun },
  { method: 'POST', path: '/logs/', handle: logs },
  { method: 'POST', path: '/logs/filter', handle: logs },
]

/** The fake's route table (its routes, then 501 for the rest of Prefect's API). */
export const restRoutes = new RouteTable(routes)
