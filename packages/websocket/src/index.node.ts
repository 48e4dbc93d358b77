// The Node entry (export condition `node`): the API of ./index.ts, with `ws` as the default
// WebSocket. `ws` offers what Prefect's protocol needs and browsers lack: protocol pings
// (stall watchdog, emitter checkpoints), upgrade headers (Authorization), the HTTP status of
// a refused upgrade, and a frame-size limit.
import WebSocket from 'ws'
import { setDefaultWebSocket } from './default-socket.js'
import type { WebSocketConstructorLike } from './socket.js'

setDefaultWebSocket(WebSocket as unknown as WebSocketConstructorLike)

export * from './index.js'
