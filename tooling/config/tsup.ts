import { defineConfig, type Options } from 'tsup'

/** Options for {@link definePackageBuild}. */
export interface PackageBuildOptions {
  /** Entry points, keyed by output name (e.g. `{ index: 'src/index.ts' }`). */
  entry: Record<string, string>
  /**
   * `neutral` for code that runs anywhere (no Node built-ins), `node` for Node-only code.
   * @default 'neutral'
   */
  platform?: 'neutral' | 'node'
  /** Extra tsup options, merged last. */
  overrides?: Options
}

/**
 * The one tsup preset every published flowcast package uses: ESM only, `.d.ts` next to
 * each entry, Node 20 syntax, no source maps, dependencies left external.
 */
export function definePackageBuild(options: PackageBuildOptions) {
  return defineConfig({
    entry: options.entry,
    format: ['esm'],
    dts: { compilerOptions: { customConditions: [] } },
    clean: true,
    // Published tarballs hold `dist` only (readable, unminified ESM and `.d.ts`); maps of
    // source files that are not shipped would only add weight.
    sourcemap: false,
    target: 'node20',
    platform: options.platform ?? 'neutral',
    splitting: true,
    treeshake: true,
    ...options.overrides,
  })
}
