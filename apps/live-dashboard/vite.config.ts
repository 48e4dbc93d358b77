import { defineConfig, loadEnv } from 'vite'
import { prefectProxy, prefectProxyFromEnv } from './server/prefect-proxy.ts'

// PREFECT_API_URL, PREFECT_API_KEY and PREFECT_API_AUTH_STRING are read here, on the server
// (from the environment or .env files), never bundled: Vite only exposes VITE_* to the page.
export default defineConfig(({ mode }) => {
  const env = { ...loadEnv(mode, process.cwd(), 'PREFECT_'), ...process.env }
  return {
    plugins: [prefectProxy(prefectProxyFromEnv(env))],
    build: { target: 'es2022' },
  }
})
