import * as z from 'zod/mini'
const s = z.string().check(z.refine((v) => v.length > 2, 'x'))
const R = z.catchall(z.object({ a: z.string().check(z.minLength(1, 'e')) }), z.string()).check(z.refine(() => true, 'y'))
export const E = z.object({ a: s, r: R, rel: z._default(z.array(R).check(z.maxLength(5, 'q')), () => []), p: z._default(z.record(z.string(), z.unknown()), () => ({})), f: z._default(z.nullable(s), null) })
export const F = z.strictObject({ a: z.optional(z.nullable(z.array(z.string()))), b: z.union([z.strictObject({ x: z.optional(z.boolean()) }), z.array(z.tuple([z.string(), z.string()]))]), o: z.optional(z.enum(['A', 'B'])) })
export const FR = z.looseObject({ n: z.optional(z.number().check(z.int())), t: z.optional(z.array(z.string())), l: z.optional(z.record(z.string(), z.union([z.boolean(), z.number(), z.string()]))), u: z.unknown() })
export function v(sc, x) { const r = z.safeParse(sc, x, { error: (i) => i.code }); return r.success ? r.data : r.error.issues }
