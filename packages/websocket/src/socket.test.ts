import { Socket, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { createFakeWebSocket } from '../test/helpers/fake-websocket.js'
import { nodeSocketSupport } from './socket-node.js'
import {
  isNodeStyleConstructor,
  openSocket,
  setNodeSocketSupport,
  type SocketConnection,
  type WebSocketConstructorLike,
} from './socket.js'

setNodeSocketSupport(nodeSocketSupport)

let server: WebSocketServer | undefined
let client: SocketConnection | undefined
afterEach(async () => {
  client?.terminate()
  client = undefined
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A `ws` server on loopback that records every message; and an open flowcast socket to it. */
async function connected(): Promise<{
  socket: SocketConnection
  received: string[]
  receivedCount: (count: number) => Promise<void>
}> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  server = wss
  await new Promise((resolve) => wss.once('listening', resolve))
  const received: string[] = []
  let onMessage = () => {}
  wss.on('connection', (peer) => {
    peer.on('message', (data) => {
      received.push(String(data))
      onMessage()
    })
  })
  const port = (wss.address() as AddressInfo).port
  let opened: () => void = () => {}
  const open = new Promise<void>((resolve) => (opened = resolve))
  const socket = openSocket(
    WebSocket as unknown as WebSocketConstructorLike,
    `ws://127.0.0.1:${port}`,
    { maxPayload: 1024 * 1024 },
    {
      open: () => opened(),
      message: () => {},
      pong: () => {},
      upgradeRejected: () => {},
      error: () => {},
      close: () => {},
    },
  )
  client = socket
  await open
  const receivedCount = (count: number) =>
    new Promise<void>((resolve) => {
      if (received.length >= count) return resolve()
      onMessage = () => {
        if (received.length >= count) resolve()
      }
    })
  return { socket, received, receivedCount }
}

describe('openSocket send (ws)', () => {
  it('sends each text as its own message, in order, and holds the writes of one task', async () => {
    const { socket, received, receivedCount } = await connected()
    // Count the writes that reach TCP sockets (`ws` writes through net.Socket#_writev or
    // #_write; the server writes nothing meanwhile) for the duration of the burst.
    const proto = Socket.prototype as unknown as Record<
      '_writev' | '_write',
      (...a: never[]) => unknown
    >
    const writev = proto._writev
    const write = proto._write
    let writes = 0
    proto._writev = function (this: unknown, ...args: never[]) {
      writes++
      return writev.apply(this, args)
    }
    proto._write = function (this: unknown, ...args: never[]) {
      writes++
      return write.apply(this, args)
    }
    const texts = Array.from({ length: 200 }, (_, n) => JSON.stringify({ n, pad: 'x'.repeat(n) }))
    try {
      for (const text of texts) socket.send(text)
      await receivedCount(texts.length)
    } finally {
      proto._writev = writev
      proto._write = write
    }
    expect(received).toEqual(texts)
    // Without holding, `ws` writes once per message (200); held, once per group of 64.
    expect(writes).toBeGreaterThan(0)
    expect(writes).toBeLessThanOrEqual(Math.ceil(texts.length / 64) + 1)
    // Later sends, in a later task, go out as well.
    socket.send('after')
    await receivedCount(texts.length + 1)
    expect(received.at(-1)).toBe('after')
  })
})

describe('openSocket without the ws support (browser bundles)', () => {
  it('drives even a ws constructor through the WHATWG API: no pings, no headers', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    server = wss
    await new Promise((resolve) => wss.once('listening', resolve))
    const upgradeHeaders: Record<string, string | string[] | undefined>[] = []
    const messages: string[] = []
    wss.on('connection', (peer, request) => {
      upgradeHeaders.push(request.headers)
      peer.send('hello')
    })
    const port = (wss.address() as AddressInfo).port
    setNodeSocketSupport({ accepts: () => false, open: nodeSocketSupport.open })
    try {
      const ctor = WebSocket as unknown as WebSocketConstructorLike
      expect(isNodeStyleConstructor(ctor)).toBe(false)
      let received: () => void = () => {}
      const got = new Promise<void>((resolve) => (received = resolve))
      const socket = openSocket(
        ctor,
        `ws://127.0.0.1:${port}`,
        { maxPayload: 1024, headers: { 'x-planted': 'yes' } },
        {
          open: () => {},
          message: (data) => {
            messages.push(String(data))
            received()
          },
          pong: () => {},
          upgradeRejected: () => {},
          error: () => {},
          close: () => {},
        },
      )
      client = socket
      await got
      expect(messages).toEqual(['hello'])
      expect(socket.canPing).toBe(false)
      expect(socket.canSetHeaders).toBe(false)
      expect(socket.ping('x')).toBe(false)
      expect(upgradeHeaders[0]?.['x-planted']).toBeUndefined()
    } finally {
      setNodeSocketSupport(nodeSocketSupport)
    }
  })
})

describe('openSocket with a ws-style constructor whose sockets are WHATWG ones', () => {
  it("wires them through addEventListener (msw's proxy of the ws constructor)", () => {
    const node = createFakeWebSocket('node')
    const browser = createFakeWebSocket('browser')
    // As msw intercepts: the constructor (a proxy of ws's) looks ws-like, its sockets are not.
    const Proxied = new Proxy(node.WebSocket, {
      construct: (_target, [url, protocols]: [string, string[] | undefined]) =>
        new browser.WebSocket(url, protocols),
    })
    const frames: string[] = []
    const opened: string[] = []
    const socket = openSocket(
      Proxied,
      'ws://prefect.test/api/events/out',
      { maxPayload: 1024, protocols: ['prefect'] },
      {
        open: (protocol) => opened.push(protocol),
        message: (data) => frames.push(String(data)),
        pong: () => {},
        upgradeRejected: () => {},
        error: () => {},
        close: () => {},
      },
    )
    const fake = browser.last()
    fake.accept('prefect')
    fake.receive('hello')
    expect(opened).toEqual(['prefect'])
    expect(frames).toEqual(['hello'])
    expect(socket.canPing).toBe(false)
    expect(socket.ping()).toBe(false)
    expect(node.sockets).toHaveLength(0)
  })
})
