// The one benchmark report format. Every bench script records its figures with `figure()` and
// writes them with `writeFigures()` to `packages/<pkg>/bench/<name>results.json`; the root
// `pnpm bench` (bench/run.mjs) collects every such file into one table and `bench/results.json`.
//
// A figure: { id, name, value, unit, baseline, ratio, target, met }
//   - id: stable dotted id (`subscriber.throughput`), never renamed once published;
//   - value / baseline: the median over the rounds, in `unit`; baseline is null without one;
//   - ratio: value / baseline (null without a baseline);
//   - target: a human-readable goal (`≥ 0.8× baseline`, `≤ 20 ms`) or null when only measured;
//   - met: whether the target is met (null when there is no target).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Median of a list of numbers (the lower middle for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

/** Value at percentile `p` (0–100) of an ascending-sorted list. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Runs `fn(round)` `count` times one after another and returns the results. */
export async function rounds(count, fn) {
  const results = []
  for (let round = 0; round < count; round++) results.push(await fn(round))
  return results
}

/** Forces a few full collections and returns the used heap (needs `node --expose-gc`). */
export async function heapUsed() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return process.memoryUsage().heapUsed
}

const symbols = { atLeast: '≥', atMost: '≤' }

/**
 * Builds one figure. `target` is `{ atLeast | atMost: number, of?: 'value' | 'ratio' }`
 * (`of` defaults to 'value'); omit it for a measured-only figure.
 */
export function figure({ id, name, value, unit, baseline = null, target = null }) {
  // A missing value (the bench could not measure it) is reported as null and never met.
  if (value === undefined || value === null || Number.isNaN(value)) value = null
  const ratio = value === null || baseline === null || baseline === 0 ? null : value / baseline
  let targetText = null
  let met = null
  if (target) {
    const of = target.of ?? 'value'
    const kind = target.atLeast === undefined ? 'atMost' : 'atLeast'
    const bound = target[kind]
    const measured = of === 'ratio' ? ratio : value
    targetText =
      of === 'ratio'
        ? `${symbols[kind]} ${bound}× baseline`
        : `${symbols[kind]} ${bound.toLocaleString('en-US')}${unit === '×' ? '' : ' '}${unit}`
    met = measured === null ? false : kind === 'atLeast' ? measured >= bound : measured <= bound
  }
  return {
    id,
    name,
    value: round(value),
    unit,
    baseline: round(baseline),
    ratio: round(ratio),
    target: targetText,
    met,
  }
}

function round(n) {
  if (n === null || n === undefined) return null
  if (!Number.isFinite(n)) return n
  return Math.abs(n) >= 100 ? Math.round(n) : Number(n.toPrecision(4))
}

function formatNumber(n, unit) {
  if (n === null || n === undefined) return '—'
  const text = n.toLocaleString('en-US', { maximumFractionDigits: 3 })
  return unit === '×' ? `${text}×` : unit ? `${text} ${unit}` : text
}

/** Formats figures as the report's table (figure, flowcast, baseline, ratio, target, met). */
export function formatTable(figures) {
  const header = ['figure', 'flowcast', 'baseline', 'ratio', 'target', 'met']
  const rows = figures.map((f) => [
    `${f.name} [${f.id}]`,
    formatNumber(f.value, f.unit),
    formatNumber(f.baseline, f.unit),
    f.ratio === null || f.ratio === undefined ? '—' : `${f.ratio.toPrecision(3)}×`,
    f.target ?? 'measured only',
    f.met === null || f.met === undefined ? '—' : f.met ? 'yes' : 'NO',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** The same table as Markdown, for docs/benchmarks.md. */
export function formatMarkdownTable(figures) {
  const rows = figures.map((f) => [
    `${f.name} \`${f.id}\``,
    formatNumber(f.value, f.unit),
    formatNumber(f.baseline, f.unit),
    f.ratio === null || f.ratio === undefined ? '—' : `${f.ratio.toPrecision(3)}×`,
    f.target ?? 'measured only',
    f.met === null || f.met === undefined ? '—' : f.met ? 'yes' : '**no**',
  ])
  return [
    '| figure | flowcast | baseline | ratio | target | met |',
    '| --- | --: | --: | --: | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

/**
 * Writes a bench script's figures as a JSON array to `file` (a path or `file:` URL, usually
 * `new URL('./results.json', import.meta.url)`) and prints them as a table.
 */
export function writeFigures(file, figures, title) {
  const path = typeof file === 'string' ? file : fileURLToPath(file)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`)
  if (title) console.log(title)
  console.log(formatTable(figures))
}
