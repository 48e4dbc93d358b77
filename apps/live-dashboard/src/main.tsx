import { FlowcastProvider } from '@flowcast/react'
import { createFlowcast } from 'flowcast'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import './styles.css'

// Same-origin: `/api` is the dev/preview server's proxy to Prefect, which adds the
// credentials server-side. Never give a browser a Prefect Cloud API key.
const flowcast = createFlowcast({ apiUrl: new URL('/api', window.location.href).href, env: {} })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <FlowcastProvider flowcast={flowcast}>
      <App />
    </FlowcastProvider>
  </StrictMode>,
)
