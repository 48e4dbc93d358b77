// The Node entry (export condition `node`): the API of ./index.ts, with `ws` as the default
// WebSocket. `ws` offers what Prefect's protocol needs and browsers lack: protocol pings
// (stall watchdog, emitter checkpoints), upgrade headers (Authorization), the HTTP status of
// a refused upgrade, and a frame-size limit. The subscribers' dedupe window is the one made
// for UUIDs: faster, and larger than a browser bundle should carry. The `ws` socket support
// (pings, headers, refused-upgrade statuses) is registered here for the same reason.
import { createUuidDedupeWindow } from '@flowcast/core/internal'
import WebSocket from 'ws'
import { setDedupeWindowFactory, setDefaultWebSocket } from './default-socket.js'
import { setNodeSocketSupport, type WebSocketConstructorLike } from './socket.js'
import { nodeSocketSupport } from './socket-node.js'

setDefaultWebSocket(WebSocket as unknown as WebSocketConstructorLike)
setDedupeWindowFactory(createUuidDedupeWindow)
setNodeSocketSupport(nodeSocketSupport)

export * from './index.js'
