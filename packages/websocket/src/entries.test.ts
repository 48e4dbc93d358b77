import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'

import { createUuidDedupeWindow } from '@flowcast/core/internal'
import { createSubscriberDedupeWindow, defaultWebSocket } from './default-socket.js'
import { isNodeStyleConstructor, type WebSocketConstructorLike } from './socket.js'
import * as web from './index.js'
import * as node from './index.node.js'

describe('package entries', () => {
  it('the Node entry exports the very same API as the default entry', () => {
    expect(Object.keys(node).sort()).toEqual(Object.keys(web).sort())
    for (const [name, value] of Object.entries(web)) {
      expect(node[name as keyof typeof node], name).toBe(value)
    }
  })

  it('loading the Node entry makes ws the default WebSocket', () => {
    expect(defaultWebSocket()).toBe(WebSocket)
  })

  it("loading the Node entry gives the events subscriber core's UUID dedupe window", () => {
    expect(createSubscriberDedupeWindow).toBe(createUuidDedupeWindow)
  })

  it('loading the Node entry gives ws sockets their pings, headers and upgrade statuses', () => {
    expect(isNodeStyleConstructor(WebSocket as unknown as WebSocketConstructorLike)).toBe(true)
  })
})
