import type { WebSocketConstructorLike } from './socket.js'

let registered: WebSocketConstructorLike | undefined

/**
 * @internal Makes `WebSocket` the constructor every factory uses when its options name none.
 * The Node entry registers `ws` when it loads (and so is listed under `sideEffects`).
 */
export function setDefaultWebSocket(WebSocket: WebSocketConstructorLike): void {
  registered = WebSocket
}

/** @internal The registered constructor, else the global `WebSocket` (if any). */
export function defaultWebSocket(): WebSocketConstructorLike | undefined {
  return registered ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket
}
