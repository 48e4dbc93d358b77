import { createFlowcast, FlowcastError, type Flowcast, type FlowcastOptions } from 'flowcast'
import {
  createContext,
  createElement,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react'
import { createStoreRegistry, type StoreRegistry, type StoreTuning } from './stores.js'

/** What the provider shares: the instance and the stores keyed by run id and filter. */
interface FlowcastContextValue {
  flowcast: Flowcast
  registry: StoreRegistry
}

const FlowcastContext = createContext<FlowcastContextValue | null>(null)

// One registry per instance, so two providers over one instance still share every wait.
const registries = new WeakMap<Flowcast, StoreRegistry>()

function registryOf(flowcast: Flowcast, tuning: StoreTuning | undefined): StoreRegistry {
  let registry = registries.get(flowcast)
  if (!registry) {
    registry = createStoreRegistry(flowcast, tuning)
    registries.set(flowcast, registry)
  }
  return registry
}

/** Props of {@link FlowcastProvider}: an instance you own, or options for one it owns. */
export type FlowcastProviderProps = {
  children?: ReactNode
  /** Tuning of the shared stores (release delay, finished runs kept). */
  tuning?: StoreTuning
} & (
  | {
      /** The instance the hooks share. You create it and you close it. */
      flowcast: Flowcast
      options?: never
    }
  | {
      /**
       * Options of the instance the provider creates (on first render; no socket opens until
       * a hook subscribes) and closes when it unmounts. Read once: later changes are ignored.
       */
      options: FlowcastOptions
      flowcast?: never
    }
)

/**
 * Shares one flowcast instance with the hooks below it: every `useFlowRun(id)` of one run,
 * in any component, shares one wait, and all runs share the instance's one WebSocket.
 *
 * In a browser, `apiUrl` is your own same-origin route that proxies to Prefect and adds the
 * credentials on the server: never ship a Prefect Cloud API key to a browser.
 *
 * @example
 * ```tsx
 * const flowcast = createFlowcast({ apiUrl: '/api', WebSocket: globalThis.WebSocket })
 * root.render(<FlowcastProvider flowcast={flowcast}><App /></FlowcastProvider>)
 * ```
 */
export function FlowcastProvider(props: FlowcastProviderProps): ReactNode {
  const { children, tuning } = props
  const [owned] = useState<Flowcast | undefined>(() =>
    props.flowcast ? undefined : createFlowcast(props.options),
  )
  const flowcast = props.flowcast ?? owned!
  const closeTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => {
    if (!owned) return
    clearTimeout(closeTimer.current)
    return () => {
      // Deferred, so StrictMode's unmount-and-remount keeps the instance.
      closeTimer.current = setTimeout(() => void owned.close(), 0)
    }
  }, [owned])
  // `tuning` is read with the instance's first provider, like `options`.
  const value = useMemo(() => ({ flowcast, registry: registryOf(flowcast, tuning) }), [flowcast])
  return createElement(FlowcastContext.Provider, { value }, children)
}

/** The provider's value; throws a clear error outside a provider. @internal */
export function useFlowcastContext(hook: string): FlowcastContextValue {
  const value = useContext(FlowcastContext)
  if (!value) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `[@flowcast/react] ${hook} must be used inside <FlowcastProvider>`,
    )
  }
  return value
}

/**
 * The shared flowcast instance, for anything the hooks do not cover (`flowcast.client`,
 * `emit`, ...).
 * @throws FlowcastError `INVALID_OPTIONS` outside a {@link FlowcastProvider}
 */
export function useFlowcast(): Flowcast {
  return useFlowcastContext('useFlowcast').flowcast
}
