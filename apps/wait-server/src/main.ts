// Entry point: `PREFECT_API_URL=… [PREFECT_API_KEY=…] [DEPLOYMENT_ID=…] [PORT=3000] pnpm start`
import { createFlowcast } from 'flowcast'
import { createWaitServer } from './server.js'

// One flowcast instance for the whole process: it reads PREFECT_API_URL, PREFECT_API_KEY and
// PREFECT_API_AUTH_STRING, and shares one WebSocket between all concurrent waits.
const flowcast = createFlowcast()
const server = createWaitServer({
  flowcast,
  ...(process.env.DEPLOYMENT_ID ? { defaultDeploymentId: process.env.DEPLOYMENT_ID } : {}),
})
const port = Number(process.env.PORT ?? 3000)
server.listen(port, () => {
  process.stdout.write(
    `wait-server listening on http://localhost:${port} (Prefect API ${flowcast.apiUrl})\n`,
  )
})

async function shutdown() {
  server.close()
  server.closeAllConnections()
  await flowcast.close()
}
process.once('SIGINT', () => void shutdown())
process.once('SIGTERM', () => void shutdown())
