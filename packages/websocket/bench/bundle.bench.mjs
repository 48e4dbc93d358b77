// What flowcast costs a browser page, with the same measurement as the CI budget check
// (`pnpm size`, tooling/bench/bundle-size.mjs): esbuild for the browser from the built
// packages, minified, gzip -9.  node packages/websocket/bench/bundle.bench.mjs  (or `pnpm bench`).
import { bundles, measureBundle } from '../../../tooling/bench/bundle-size.mjs'
import { figure, writeFigures } from '../../../tooling/bench/figures.mjs'

const figures = []
const notes = []
for (const bundle of bundles) {
  const measured = await measureBundle(bundle)
  // A bundle that is not browser-clean has no figure worth reporting: null, target not met.
  const clean = measured.problem === null
  if (!clean) notes.push(`${bundle.id}: ${measured.problem}`)
  figures.push(
    figure({
      id: `bundle.${bundle.id}_gz`,
      name: `browser bundle: ${bundle.name} (esbuild, minified, gzip -9)`,
      value: clean ? measured.gz : null,
      unit: 'B',
      ...(bundle.budgetGz === undefined ? {} : { target: { atMost: bundle.budgetGz } }),
    }),
    figure({
      id: `bundle.${bundle.id}_min`,
      name: `browser bundle: ${bundle.name}, minified, before gzip`,
      value: clean ? measured.min : null,
      unit: 'B',
    }),
  )
}
for (const note of notes) console.error(`bench: ${note}`)

writeFigures(new URL('./bundle-results.json', import.meta.url), figures, 'browser bundle size')
