// Prints one line per vitest run (from the JSON reports written under CI) and a closing
// `N passed, N failed` line over all of them. Exits 1 when any test failed or no report exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['packages', 'apps', 'tooling']
let passed = 0
let failed = 0
let skipped = 0
let reports = 0
for (const root of roots) {
  if (!existsSync(root)) continue
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name, 'reports')
    if (!existsSync(dir)) continue
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const report = JSON.parse(readFileSync(join(dir, file), 'utf8'))
      reports++
      const p = report.numPassedTests ?? 0
      const f = report.numFailedTests ?? 0
      const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
      passed += p
      failed += f
      skipped += s
      const label = `${root}/${name}${file === 'vitest.json' ? '' : ` (${file.replace(/^vitest-|\.json$/g, '')})`}`
      console.log(`  ${label.padEnd(36)} ${p} passed, ${f} failed, ${s} skipped`)
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
if (reports === 0) {
  console.error('no test reports were written')
  process.exit(1)
}
process.exit(failed > 0 ? 1 : 0)
