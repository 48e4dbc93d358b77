// `pnpm size`: the browser bundle budgets (tooling/bench/bundle-size.mjs), measured from the
// built packages (run `pnpm build` first). Prints each bundle's minified and gzipped bytes
// against its budget; exits 1 when a bundle is over budget, cannot be bundled for a browser, or
// pulls a forbidden module (ws, node:*, the fake server, ajv, zod) into its graph.
// `--budgets=warn` reports a bundle over budget without failing; a bundle that cannot be
// bundled for a browser or pulls a forbidden module still fails.
import { bundles, measureBundle, withinBudget } from '../bench/bundle-size.mjs'

const bytes = (n) => (n === null ? '—' : `${n.toLocaleString('en-US')} B`)
const verdict = (measured) =>
  [
    measured.problem,
    measured.gz !== null && measured.gz > measured.budgetGz
      ? `OVER BUDGET by ${bytes(measured.gz - measured.budgetGz)}`
      : null,
  ]
    .filter(Boolean)
    .join('; ')
const warnOnly = process.argv.slice(2).includes('--budgets=warn')
const rows = []
let failed = false
let overBudget = false
for (const bundle of bundles) {
  const measured = await measureBundle(bundle)
  const ok = withinBudget(measured)
  if (measured.problem) failed = true
  else if (!ok) overBudget = true
  rows.push({
    bundle: measured.name,
    min: bytes(measured.min),
    gz: bytes(measured.gz),
    budget: `≤ ${bytes(measured.budgetGz)} gz`,
    verdict: ok ? 'ok' : verdict(measured),
  })
}

const columns = ['bundle', 'min', 'gz', 'budget', 'verdict']
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)))
const line = (cells) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]))
    .join('  ')
    .trimEnd()
console.log('browser bundles (esbuild, platform browser, minified; gz = gzip -9)')
console.log(line(columns))
for (const row of rows) console.log(line(columns.map((c) => row[c])))
if (failed) {
  console.error('size check failed: a browser bundle cannot be bundled or is not browser-clean')
  process.exit(1)
}
if (overBudget && warnOnly) {
  console.error('size check: a browser bundle is over budget (reported only: --budgets=warn)')
} else if (overBudget) {
  console.error('size check failed: a browser bundle is over budget')
  process.exit(1)
}
