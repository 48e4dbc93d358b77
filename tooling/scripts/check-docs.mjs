// Keeps the repository's documentation self-contained (run by `pnpm lint`):
// 1. every `§N`, `§N.N` or `§N.N.N` in packages/, apps/, tooling/ and docs/ names a section
//    that exists in docs/protocol.md (the protocol notes the code cites);
// 2. nothing cites material outside the repository (`shared/…`, `DESIGN.md`), except the test
//    that compares the vendored spec data with that folder when it is present;
// 3. every relative link in the READMEs and docs/ points at a file that exists.
// Prints each problem as `path:line: message` and exits 1 when there is any.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const skipDirs = new Set(['node_modules', 'dist', 'reports', 'coverage', '.turbo', 'data'])
const extensions = /\.(ts|tsx|js|mjs|cjs|md)$/
// The one file allowed to name the folder beside the repository: it checks the vendored copy.
const outsideAllowed = new Set(['packages/core/test/spec-copy.test.ts'])

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name) || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* walk(path)
    else if (extensions.test(name)) yield path
  }
}

const protocol = readFileSync(join(root, 'docs/protocol.md'), 'utf8')
const sections = new Set()
for (const match of protocol.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)) sections.add(match[1])

const problems = []
const report = (file, index, text, message) => {
  const line = text.slice(0, index).split('\n').length
  problems.push(`${relative(root, file)}:${line}: ${message}`)
}

const files = ['packages', 'apps', 'tooling', 'docs']
  .map((dir) => join(root, dir))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => [...walk(dir)])
files.push(join(root, 'README.md'))

for (const file of files) {
  const text = readFileSync(file, 'utf8')
  const rel = relative(root, file)
  if (rel !== 'tooling/scripts/check-docs.mjs') {
    // `§1.4`, `§4.1–4.2`, `§1–2`, `§1.2.6` (an item of §1.2): each end must be a section.
    for (const match of text.matchAll(/§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?(\d+(?:\.\d+)*))?/g)) {
      for (const ref of [match[1], match[2]].filter(Boolean)) {
        const section = ref.split('.').slice(0, 2).join('.')
        if (!sections.has(section)) {
          report(file, match.index, text, `§${ref}: no section ${section} in docs/protocol.md`)
        }
      }
    }
    if (!outsideAllowed.has(rel)) {
      for (const match of text.matchAll(
        /(?:\.\.\/)*shared\/(?:spec|DESIGN|STYLE|DECISIONS)\b|DESIGN\.md/g,
      )) {
        report(file, match.index, text, `cites ${match[0]}, which is not in the repository`)
      }
    }
  }
  if (file.endsWith('.md')) {
    for (const match of text.matchAll(/\]\((?!https?:|mailto:|#)([^)\s#]+)(?:#[^)\s]*)?\)/g)) {
      if (!existsSync(resolve(dirname(file), match[1]))) {
        report(file, match.index, text, `link to ${match[1]}: no such file`)
      }
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  console.error(`check-docs: ${problems.length} problem(s)`)
  process.exit(1)
}
console.log(`check-docs: ${files.length} files, every § reference and link resolves`)
