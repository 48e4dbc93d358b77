// The user's path as a test: pack every publishable package, check what each tarball holds,
// install the tarballs into fresh projects in a temporary folder outside the workspace, copy
// each app under apps/ there, build it, type-check it and run its tests, and type-check the
// TypeScript snippets of every package README (strict, exactOptionalPropertyTypes, NodeNext).
// Run after `pnpm build`. Exits non-zero on the first failure; KEEP=1 keeps the folder.
import { execFileSync, spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const work = mkdtempSync(join(tmpdir(), 'flowcast-consumer-'))
const tarballs = join(work, 'tarballs')
mkdirSync(tarballs)
const started = Date.now()

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: process.env })
}
function capture(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: process.env })
}
function fail(message) {
  console.error(`consumer-test: ${message}`)
  console.error(`consumer-test: files kept in ${work}`)
  process.exit(1)
}
function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}
function writeJson(file, value) {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
}

// 1. Pack. `pnpm pack` rewrites workspace:* ranges to versions and applies publishConfig.
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    manifest: readJson(join(root, 'packages', dir, 'package.json')),
  }))
  .filter(({ manifest }) => !manifest.private)
const tarballOf = new Map()
const tarballSource = new Map(packages.map(({ manifest }) => [manifest.name, manifest]))
for (const { dir, manifest } of packages) {
  const before = new Set(readdirSync(tarballs))
  capture('pnpm', ['pack', '--pack-destination', tarballs], dir)
  const file = readdirSync(tarballs).find((name) => !before.has(name))
  if (!file) fail(`pnpm pack wrote no tarball for ${manifest.name}`)
  tarballOf.set(manifest.name, join(tarballs, file))
}

// 2. What each tarball holds: every path its manifest names exists in it, no workspace
// range or monorepo path survives, and its README links resolve inside it.
const unpacked = join(work, 'unpacked')
const problems = []
const problem = (message) => problems.push(message)
for (const [name, tarball] of tarballOf) {
  const into = join(unpacked, name.replace('/', '+'))
  mkdirSync(into, { recursive: true })
  run('tar', ['-xzf', tarball, '-C', into, '--strip-components=1'])
  const files = new Set(
    capture('tar', ['-tzf', tarball])
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  )
  const manifest = readJson(join(into, 'package.json'))
  const named = []
  const collect = (value) => {
    if (typeof value === 'string') named.push(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(collect)
  }
  collect(manifest.exports)
  collect(manifest.bin)
  collect(manifest.main)
  collect(manifest.types)
  for (const path of named) {
    if (!files.has(path.replace(/^\.\//, '')))
      problem(`${name}: package.json names ${path}, which is not in the tarball`)
  }
  const source = tarballSource.get(name)
  if (
    JSON.stringify(Object.keys(manifest.exports ?? {})) !==
    JSON.stringify(Object.keys(source.exports ?? {}))
  ) {
    problem(
      `${name}: the packed exports (publishConfig) list other entries than package.json exports`,
    )
  }
  const text = readFileSync(join(into, 'package.json'), 'utf8')
  if (/workspace:/.test(text))
    problem(`${name}: a workspace: range is left in the packed package.json`)
  for (const [dep] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    if (dep.startsWith('@flowcast/') && !tarballOf.has(dep))
      problem(`${name}: depends on ${dep}, which is not published`)
  }
  for (const file of files) {
    if (/\.map$/.test(file) || /\.test(-d)?\.ts$/.test(file)) problem(`${name}: ships ${file}`)
  }
  const readme = existsSync(join(into, 'README.md'))
    ? readFileSync(join(into, 'README.md'), 'utf8')
    : (problem(`${name}: no README.md`), '')
  for (const [, target] of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s]+)\)/g)) {
    if (!files.has(target.replace(/^\.\//, '').replace(/#.*$/, '')))
      problem(`${name}: README links ${target}, which is not in the tarball`)
  }
  for (const [, path] of readme.matchAll(
    /[`'"(]((?:\.\/)?(?:examples|src|test|bench)\/[\w./-]+)/g,
  )) {
    if (!files.has(path.replace(/^\.\//, '')))
      problem(`${name}: README names ${path}, which is not in the tarball`)
  }
  if (/\.\.\/\.\.\/|pnpm --filter|workspace:\*|see `?src\//.test(readme))
    problem(`${name}: README has a monorepo-only path or command`)
  console.log(`ok  ${name}: ${files.size} files`)
}

const fileDeps = Object.fromEntries(
  [...tarballOf].map(([name, tarball]) => [name, `file:${tarball}`]),
)
const npmInstallArgs = [
  'install',
  '--no-audit',
  '--no-fund',
  '--prefer-offline',
  '--loglevel=error',
]
const npmInstall = (cwd) => run('npm', npmInstallArgs, cwd)

// 3. README snippets: every ```ts (or ```tsx) block of every published README is one module. A block
// that continues earlier ones or uses names it does not declare gets them from an HTML
// comment right before it: <!-- snippet-prelude: declare const flowRunId: string -->; a block
// that shows a shape rather than code is marked <!-- snippet: not-checked -->.
const harnessRanges = {
  ...readJson(join(root, 'packages/react/package.json')).devDependencies,
  ...readJson(join(root, 'packages/fake-server/package.json')).devDependencies,
  ...readJson(join(root, 'packages/otel/package.json')).devDependencies,
  ...readJson(join(root, 'package.json')).devDependencies,
}
const snippets = join(work, 'snippets')
mkdirSync(join(snippets, 'src'), { recursive: true })
writeJson(join(snippets, 'package.json'), {
  name: 'flowcast-readme-snippets',
  private: true,
  type: 'module',
  dependencies: fileDeps,
  overrides: fileDeps,
  // What a service's test setup adds: the test runner, and the optional peers of the harness;
  // React and its types for the hooks' snippets; what an OpenTelemetry setup adds: the API and
  // the Node SDK with a Prometheus exporter.
  devDependencies: Object.fromEntries(
    [
      'typescript',
      '@types/node',
      '@types/ws',
      'vitest',
      'msw',
      'mock-socket',
      'react',
      '@types/react',
      '@opentelemetry/api',
      '@opentelemetry/sdk-node',
      '@opentelemetry/exporter-prometheus',
    ].map((dep) => [dep, harnessRanges[dep]]),
  ),
})
writeJson(join(snippets, 'tsconfig.json'), {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: false,
    jsx: 'react-jsx',
    types: ['node'],
  },
  include: ['src'],
})
let count = 0
for (const [name] of tarballOf) {
  const readme = readFileSync(join(unpacked, name.replace('/', '+'), 'README.md'), 'utf8')
  const blocks = readme.matchAll(
    /(?:<!--\s*snippet(-prelude)?:([\s\S]*?)-->\s*\n)?```(tsx?)\n([\s\S]*?)```/g,
  )
  let index = 0
  for (const [, isPrelude, comment, language, body] of blocks) {
    index += 1
    if (comment !== undefined && !isPrelude) continue // <!-- snippet: not-checked -->
    const file = `${name.replace('@', '').replace('/', '-')}-${index}.${language}`
    const prelude = isPrelude ? `${comment.trim().replaceAll('; ', '\n')}\n` : ''
    writeFileSync(join(snippets, 'src', file), `${prelude}${body}export {}\n`)
    count += 1
  }
}
// Installed in the background while the apps build (a separate process, so it runs on).
const snippetsInstalled = new Promise((resolve, reject) => {
  spawn('npm', npmInstallArgs, { cwd: snippets, stdio: ['ignore', 'inherit', 'inherit'] }).on(
    'exit',
    (code) => (code === 0 ? resolve() : reject(new Error(`npm install in ${snippets} failed`))),
  )
})

// 4. Each app, copied out as its README says: workspace ranges become the packed tarballs.
for (const app of readdirSync(join(root, 'apps'))) {
  const from = join(root, 'apps', app)
  const to = join(work, 'apps', app)
  cpSync(from, to, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|dist|reports|\.turbo)$/.test(src),
  })
  const manifest = readJson(join(to, 'package.json'))
  for (const field of ['dependencies', 'devDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (!range.startsWith('workspace:')) continue
      if (!tarballOf.has(dep)) fail(`apps/${app}: ${field} ${dep} is workspace-only`)
      manifest[field][dep] = fileDeps[dep]
    }
  }
  // Published, the flowcast packages an app reaches through others come from the registry;
  // here they must come from the tarballs too.
  manifest.overrides = fileDeps
  writeJson(join(to, 'package.json'), manifest)
  for (const file of readdirSync(to).filter((f) => /\.(json|ts|mjs|js)$/.test(f))) {
    if (/\.\.\/\.\.\/|@flowcast\/config/.test(readFileSync(join(to, file), 'utf8')))
      fail(`apps/${app}/${file} reaches into the monorepo`)
  }
  npmInstall(to)
  run('npm', ['run', 'build'], to)
  run('npm', ['run', 'typecheck'], to)
  run('npm', ['test'], to)
  console.log(`ok  apps/${app}: built, type-checked and tested from the tarballs`)
}

await snippetsInstalled
run(join(snippets, 'node_modules/.bin/tsc'), ['-p', snippets], snippets)
console.log(
  `ok  ${count} README snippets type-check (strict, exactOptionalPropertyTypes, NodeNext)`,
)

// 5. The fake-server README's "Testing your service" examples (kept identical to these files by
// tooling/testing-examples' readme-sync test), run as a user's own tests against the tarballs.
const examplesTo = join(snippets, 'test')
mkdirSync(examplesTo, { recursive: true })
for (const file of ['service.test.ts', 'msw.test.ts']) {
  cpSync(join(root, 'tooling/testing-examples/test', file), join(examplesTo, file))
}
run(join(snippets, 'node_modules/.bin/vitest'), ['run', 'test', '--reporter=dot'], snippets)
console.log(`ok  the fake-server README's "Testing your service" examples pass from the tarballs`)

if (problems.length > 0)
  fail(`the tarballs are not what a user should get:\n  ${problems.join('\n  ')}`)
if (!process.env.KEEP) rmSync(work, { recursive: true, force: true })
console.log(`consumer-test: passed in ${Math.round((Date.now() - started) / 1000)} s`)
