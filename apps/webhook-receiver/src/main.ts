// Entry point: `WEBHOOK_SECRET=… [PORT=8080] [WEBHOOK_PATH=/hooks/prefect] [REDIS_URL=redis://…] pnpm start`
import type { Logger } from '@flowcast/core'
import { createReceiverApp } from './app.js'
import { readConfig } from './config.js'
import { registerHandlers } from './handlers.js'

// One JSON line per log record on stdout; swap in pino or your own logger.
const logger: Logger = {
  debug: () => {},
  info: (message, data) => console.log(JSON.stringify({ level: 'info', message, ...data })),
  warn: (message, data) => console.log(JSON.stringify({ level: 'warn', message, ...data })),
  error: (message, data) => console.error(JSON.stringify({ level: 'error', message, ...data })),
}

const config = readConfig(process.env)
const app = await createReceiverApp(config, logger)
registerHandlers(app.receiver, logger)
app.server.listen(config.port, config.host, () => {
  logger.info('webhook-receiver listening', {
    url: `http://${config.host}:${config.port}${config.path}`,
    redis: config.redisUrl ? 'on' : 'off',
  })
})

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info('shutting down', { signal })
  await app.close()
  process.exit(0)
}
process.once('SIGINT', () => void shutdown('SIGINT'))
process.once('SIGTERM', () => void shutdown('SIGTERM'))
