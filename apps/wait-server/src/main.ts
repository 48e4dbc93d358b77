// Entry point: `PREFECT_API_URL=… [PREFECT_API_KEY=…] [DEPLOYMENT_ID=…] [PORT=3000]
// [WAIT_SERVER_TOKEN=…] npm start`
import { createFlowcast } from 'flowcast'
import { createWaitServer, parsePort, shutdownGracefully } from './server.js'

let port: number
try {
  port = parsePort(process.env.PORT)
} catch (error) {
  process.stderr.write(`wait-server: ${(error as Error).message}\n`)
  process.exit(2)
}

// One flowcast instance for the whole process: it reads PREFECT_API_URL, PREFECT_API_KEY and
// PREFECT_API_AUTH_STRING, and shares one WebSocket between all concurrent waits.
const flowcast = createFlowcast()
const server = createWaitServer({
  flowcast,
  defaultDeploymentId: process.env.DEPLOYMENT_ID || undefined,
  authToken: process.env.WAIT_SERVER_TOKEN || undefined,
})
server.listen(port, () => {
  process.stdout.write(
    `wait-server listening on http://localhost:${port} (Prefect API ${flowcast.apiUrl})\n`,
  )
})

function stop() {
  shutdownGracefully(server, flowcast).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`wait-server: ${(error as Error).message}\n`)
      process.exit(1)
    },
  )
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
