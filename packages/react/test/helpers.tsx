import { configure } from '@testing-library/react'
import type { ReactNode } from 'react'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { createFlowcast, type Flowcast } from 'flowcast'
import WebSocket from 'ws'
import { FlowcastProvider } from '../src/index.js'

// Every render is wrapped in <StrictMode> at the root, where React double-invokes effects
// (mount → unmount → mount); a <StrictMode> inside a `wrapper` component does not.
configure({ reactStrictMode: true })

/** A fake Prefect on a loopback port and a flowcast instance on it (`ws`: jsdom has none). */
export async function setup(): Promise<{
  server: FakePrefectServer
  flowcast: Flowcast
  wrapper: (props: { children?: ReactNode }) => ReactNode
  [Symbol.asyncDispose](): Promise<void>
}> {
  const server = await createFakePrefectServer()
  const flowcast = createFlowcast({
    apiUrl: server.apiUrl,
    env: {},
    profile: 'test',
    WebSocket: WebSocket as never,
    fetch: globalThis.fetch,
  })
  const wrapper = ({ children }: { children?: ReactNode }) => (
    <FlowcastProvider flowcast={flowcast}>{children}</FlowcastProvider>
  )
  return {
    server,
    flowcast,
    wrapper,
    async [Symbol.asyncDispose]() {
      await flowcast.close()
      await server.close()
    },
  }
}

/** `/events/out` connections the server has seen (open or closed). */
export function eventSockets(server: FakePrefectServer) {
  return server.recorder.connections.filter((c) => c.path.endsWith('/events/out'))
}

/** Lets pending macrotasks run (the stores release a tick after the last unsubscribe). */
export const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))
