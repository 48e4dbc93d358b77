import { prefectApiPaths } from './prefect-api.js'
import type { RouteTable } from './routes.js'

/**
 * The README's coverage table: each path of Prefect's API with the methods the fake implements
 * and those it answers 501, derived from the route table so it cannot drift.
 */
export function coverageTable(table: RouteTable): string {
  const rows = prefectApiPaths.map(([path, methods]) => {
    const all = methods.split(' ')
    const done = all.filter((m) => table.implements(m, path))
    const missing = all.filter((m) => !table.implements(m, path))
    const cell = (list: string[]) => (list.length ? list.join(', ') : '—')
    return `| \`${path}\` | ${cell(done)} | ${cell(missing)} |`
  })
  const implemented = prefectApiPaths
    .flatMap(([path, methods]) => methods.split(' ').map((m) => [m, path] as const))
    .filter(([m, path]) => table.implements(m, path)).length
  const total = prefectApiPaths.reduce((n, [, methods]) => n + methods.split(' ').length, 0)
  return [
    `${implemented} of Prefect's ${total} operations are implemented; the others answer 501.`,
    '',
    '| Path | Implemented | 501 Not Implemented |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n')
}
