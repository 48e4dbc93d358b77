import { z } from 'zod'
export const A = /* @__PURE__ */ z.object({ a: z.string().refine((x) => !!x, 'm') }).catchall(z.string()).refine(() => true)
export const B = /* @__PURE__ */ z.strictObject({ a: A.optional() })
export function used() { return 1 }
