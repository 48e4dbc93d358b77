// `pnpm size`: the browser bundle budgets (tooling/bench/bundle-size.mjs), measured from the
// built packages (run `pnpm build` first). Prints each bundle's minified and gzipped bytes
// against its budget; exits 1 when a bundle cannot be bundled for a browser, pulls a forbidden
// module (ws, node:*, the fake server, ajv, zod) into its graph, or is over its budget.
import { bundles, measureBundle, withinBudget } from '../bench/bundle-size.mjs'

const bytes = (n) => (n === null ? '—' : `${n.toLocaleString('en-US')} B`)
const limit = (m) => (m.budgetGz === null ? 'measured only' : `≤ ${bytes(m.budgetGz)}`)
function verdict(m) {
  if (m.problem) return m.problem
  if (withinBudget(m)) return m.budgetGz === null ? '—' : 'ok'
  return `OVER BUDGET by ${bytes(m.gz - m.budgetGz)}`
}

const rows = []
let failed = false
for (const bundle of bundles) {
  const measured = await measureBundle(bundle)
  if (!withinBudget(measured)) failed = true
  rows.push({
    bundle: measured.name,
    min: bytes(measured.min),
    gz: bytes(measured.gz),
    budget: limit(measured),
    verdict: verdict(measured),
  })
}

const columns = ['bundle', 'min', 'gz', 'budget', 'verdict']
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)))
const line = (cells) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]))
    .join('  ')
    .trimEnd()
console.log('browser bundles (esbuild, platform browser, minified; gz = gzip -9, budgets in gz)')
console.log(line(columns))
for (const row of rows) console.log(line(columns.map((c) => row[c])))
if (failed) {
  console.error('size check failed: a browser bundle is not browser-clean or is over its budget')
  process.exit(1)
}
