// `pnpm bench`: builds, runs every package's `bench` script one after another (turbo,
// concurrency 1, so figures do not disturb each other), then collects every
// `packages/*/bench/*results.json` those scripts wrote in this run into one table and
// `bench/results.json`. A results file not rewritten by this run is reported and left out, so a
// stale figure never passes for a fresh one.
//   node bench/run.mjs            build + all benches + report
//   node bench/run.mjs --report   only collect and print what the last run wrote
//   --markdown                    print the table as Markdown (for docs/benchmarks.md)
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatMarkdownTable, formatTable } from '../tooling/bench/figures.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const reportOnly = process.argv.includes('--report')
const markdown = process.argv.includes('--markdown')
const started = Date.now()
let failed = false

function run(args) {
  const result = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) failed = true
  return result.status === 0
}

// The build (cached by turbo after the first run) and the benches are timed apart: on a fresh
// clone the build alone takes minutes on a loaded machine.
let benchStarted = started
if (!reportOnly) {
  if (!run(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'])) process.exit(1)
  benchStarted = Date.now()
  // --only: everything was just built; without it turbo re-runs `build` (bench depends on it),
  // which costs minutes whenever its cache misses.
  run(['exec', 'turbo', 'run', 'bench', '--only', '--concurrency=1', '--output-logs=full'])
}

const figures = []
const stale = []
for (const dir of ['packages', 'apps']) {
  const base = join(root, dir)
  if (!existsSync(base)) continue
  for (const pkg of readdirSync(base).sort()) {
    const benchDir = join(base, pkg, 'bench')
    if (!existsSync(benchDir)) continue
    for (const name of readdirSync(benchDir).sort()) {
      if (!name.endsWith('results.json')) continue
      const file = join(benchDir, name)
      const relative = `${dir}/${pkg}/bench/${name}`
      if (!reportOnly && statSync(file).mtimeMs < started) {
        stale.push(relative)
        continue
      }
      const parsed = JSON.parse(readFileSync(file, 'utf8'))
      for (const f of Array.isArray(parsed) ? parsed : parsed.figures) {
        figures.push({ ...f, source: relative })
      }
    }
  }
}

const seen = new Set()
for (const f of figures) {
  if (seen.has(f.id)) console.error(`bench: figure id ${f.id} reported twice`)
  seen.add(f.id)
}

const report = {
  node: process.version,
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  durationSeconds: Math.round((Date.now() - started) / 1000),
  buildSeconds: Math.round((benchStarted - started) / 1000),
  benchSeconds: Math.round((Date.now() - benchStarted) / 1000),
  figures: figures.map(({ id, name, value, unit, baseline, ratio, target, met }) => ({
    id,
    name,
    value,
    unit,
    baseline: baseline ?? null,
    ratio: ratio ?? null,
    target: target ?? null,
    met: met ?? null,
  })),
}
if (reportOnly) {
  // Printing again must not rewrite when and how long the last run was.
  const last = JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8'))
  for (const key of [
    'node',
    'date',
    'machine',
    'durationSeconds',
    'buildSeconds',
    'benchSeconds',
  ]) {
    if (key in last) report[key] = last[key]
  }
} else {
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(report, null, 2)}\n`)
}

console.log(`\nflowcast benchmarks — Node ${report.node}, ${report.machine}, ${report.date}`)
console.log('each figure is the median of 3 rounds against a baseline measured in the same run\n')
console.log(markdown ? formatMarkdownTable(report.figures) : formatTable(report.figures))
const missed = report.figures.filter((f) => f.met === false)
console.log(
  `\n${report.figures.length} figures, ${missed.length} target(s) not met, ${report.durationSeconds} s (build ${report.buildSeconds} s, benches ${report.benchSeconds} s)${reportOnly ? '' : '; written to bench/results.json'}`,
)
if (stale.length > 0) console.log(`not refreshed by this run (left out): ${stale.join(', ')}`)
if (failed) {
  console.error('bench: a bench script failed (see above)')
  process.exit(1)
}
