// A small validator for the wire models, so that validating them does not cost a browser page
// a schema library. It follows zod 4's rules for the subset of schemas that `schemas.ts`
// declares (which issues are reported, in which order, with which output), and gives the
// messages of `schemas.ts`'s error map; `model-checks.test.ts` checks both against zod.

/** One problem found by a {@link Check}, with its path relative to the checked value. */
export interface CheckIssue {
  /** Keys and list indices from the checked value down to the problem. */
  path: PropertyKey[]
  /** Why, e.g. `required` or `longer than 1024 characters`. */
  message: string
  /** Stops later refinements of enclosing values (zod's issues without `continue`). */
  fatal: boolean
  /** A wrong type at this very value (used to pick a union's matching branch). */
  wrongType?: boolean
}

/** A validator: pushes problems onto `issues` and returns the output (meaningful without new issues). */
export interface Check<Out = unknown> {
  /** Checks `value`, pushing its problems onto `issues`; returns the output. */
  run: (value: unknown, issues: CheckIssue[]) => Out
  /** `optional`: an absent key is skipped; `defaulted`: an absent key gets the default. */
  opt?: 'optional' | 'defaulted'
  /** The output type; never set at runtime. */
  readonly out?: Out
}

/**
 * `build()`'s check, built when first used. A check made by a top-level call stays in every
 * bundle that imports its module, since a bundler must assume the call has side effects;
 * `/* @__PURE__ *\/ lazy(() => …)` lets a bundler drop the checks nothing uses.
 */
export function lazy<T>(build: () => Check<T>): Check<T> {
  let built: Check<T> | undefined
  const get = (): Check<T> => (built ??= build())
  return {
    run: (value, issues) => get().run(value, issues),
    get opt() {
      return get().opt
    },
  }
}

/** A refinement or length rule of a {@link Check}. */
type Rule<T> = (value: T, issues: CheckIssue[], start: number) => void

const typeName = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value

const wrongType = (issues: CheckIssue[], expected: string, value: unknown): void => {
  issues.push({
    path: [],
    message: value === undefined ? 'required' : `expected ${expected}, got ${typeName(value)}`,
    fatal: true,
    wrongType: true,
  })
}

const hasFatal = (issues: CheckIssue[], start: number): boolean => {
  for (let i = start; i < issues.length; i++) if (issues[i]!.fatal) return true
  return false
}

// Child issues get the child's key in front of their path.
const prefix = (issues: CheckIssue[], start: number, key: PropertyKey): void => {
  for (let i = start; i < issues.length; i++) issues[i]!.path.unshift(key)
}

// `accept` returns the output, or the value itself when its type is wrong: zod's length
// rules still measure it then, and its refinements are skipped.
function withRules<T>(
  accept: (value: unknown, issues: CheckIssue[]) => T,
  rules: Rule<T>[],
): Check<T> {
  return {
    run(value, issues) {
      const start = issues.length
      const out = accept(value, issues)
      for (const rule of rules) rule(out, issues, start)
      return out
    },
  }
}

// Zod measures anything with a `length`, strings in code points.
const lengthOf = (value: string): number => {
  let count = 0
  for (const _ of value) count++
  return count
}

const hasLength = (value: unknown): boolean =>
  value != null && (value as { length?: unknown }).length !== undefined

/** At most `limit` characters (strings) or items (arrays). */
export const max =
  (limit: number, message?: string): Rule<unknown> =>
  (value, issues) => {
    if (!hasLength(value)) return
    const units = (value as { length: number }).length
    if ((typeof value === 'string' && units > limit ? lengthOf(value) : units) <= limit) return
    issues.push({
      path: [],
      message:
        message ??
        (typeof value === 'string'
          ? `longer than ${limit} characters`
          : Array.isArray(value)
            ? `more than ${limit} items`
            : `greater than ${limit}`),
      fatal: false,
    })
  }

/** At least one character (or item). */
export const nonEmpty =
  (message?: string): Rule<unknown> =>
  (value, issues) => {
    if (!hasLength(value) || (value as { length: number }).length >= 1) return
    issues.push({
      path: [],
      message:
        message ??
        (typeof value === 'string'
          ? 'must not be empty'
          : Array.isArray(value)
            ? 'fewer than 1 items'
            : 'less than 1'),
      fatal: false,
    })
  }

/** A custom rule, skipped when the value already has a fatal problem. */
export const refine =
  <T>(test: (value: T) => boolean, message: string): Rule<T> =>
  (value, issues, start) => {
    if (!hasFatal(issues, start) && !test(value)) issues.push({ path: [], message, fatal: false })
  }

/** A string. */
export const string = (...rules: Rule<string>[]): Check<string> =>
  withRules((value, issues) => {
    if (typeof value !== 'string') wrongType(issues, 'string', value)
    return value as string
  }, rules)

/** A finite number; `int` also requires a safe integer. */
export const number = (int = false): Check<number> => ({
  run(value, issues) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      wrongType(issues, 'number', value)
    } else if (int && !Number.isInteger(value)) {
      wrongType(issues, 'int', value)
    } else if (int && !Number.isSafeInteger(value)) {
      const bound =
        value > 0
          ? `greater than ${Number.MAX_SAFE_INTEGER}`
          : `less than ${Number.MIN_SAFE_INTEGER}`
      issues.push({ path: [], message: bound, fatal: false })
    }
    return value as number
  },
})

/** A boolean. */
export const boolean: Check<boolean> = {
  run(value, issues) {
    if (typeof value !== 'boolean') wrongType(issues, 'boolean', value)
    return value as boolean
  },
}

/** Anything (absent keys allowed). */
export const unknown: Check<unknown> = { run: (value) => value, opt: 'optional' }

/** One of `values`. */
export const oneOf = <const T extends string>(values: readonly T[]): Check<T> => ({
  run(value, issues) {
    if (!values.includes(value as T)) {
      issues.push({
        path: [],
        message: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
        fatal: true,
      })
    }
    return value as T
  },
})

/** `null` or `check`. */
export const nullable = <T>(check: Check<T>): Check<T | null> => ({
  run: (value, issues) => (value === null ? null : check.run(value, issues)),
  ...(check.opt && { opt: check.opt }),
})

/** Absent/`undefined` or `check`. */
export const optional = <T>(check: Check<T>): Check<T | undefined> => ({
  run: (value, issues) => (value === undefined ? undefined : check.run(value, issues)),
  opt: 'optional',
})

/** Absent, `undefined`, `null` or `check`. */
export const nullish = <T>(check: Check<T>): Check<T | null | undefined> =>
  optional(nullable(check))

/** `check`, with `fallback()` for an absent key or `undefined`. */
export const withDefault = <T>(check: Check<T>, fallback: () => T): Check<T> => ({
  run: (value, issues) => (value === undefined ? fallback() : check.run(value, issues)),
  opt: 'defaulted',
})

/** A list of `item`s. */
export const array = <T>(item: Check<T>, ...rules: Rule<unknown>[]): Check<T[]> => ({
  run(value, issues) {
    const start = issues.length
    if (!Array.isArray(value)) {
      wrongType(issues, 'array', value)
      // Zod's length rules still measure a string.
      for (const rule of rules) rule(value, issues, start)
      return value as T[]
    }
    // An oversized list fails its length rule before any item is read, as in zod.
    for (const rule of rules) {
      rule(value, issues, start)
      if (issues.length > start) {
        issues[start]!.fatal = true
        return value as T[]
      }
    }
    const out: T[] = []
    for (let i = 0; i < value.length; i++) {
      const itemStart = issues.length
      out.push(item.run(value[i], issues))
      prefix(issues, itemStart, i)
    }
    return out
  },
})

/** A pair of strings. */
export const stringPair: Check<[string, string]> = {
  run(value, issues) {
    if (!Array.isArray(value)) {
      wrongType(issues, 'tuple', value)
      return value as [string, string]
    }
    if (value.length < 2) {
      issues.push({ path: [], message: 'fewer than 2 items', fatal: true })
      return value as [string, string]
    }
    if (value.length > 2) issues.push({ path: [], message: 'more than 2 items', fatal: true })
    const out: unknown[] = []
    for (let i = 0; i < 2; i++) {
      const start = issues.length
      out.push(string().run(value[i], issues))
      prefix(issues, start, i)
    }
    return out as [string, string]
  },
}

const { hasOwnProperty, propertyIsEnumerable } = Object.prototype

const isObject = (value: unknown): value is Record<PropertyKey, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// Zod's test for record input: the constructor, if any, has an Object-like prototype.
function isPlainRecord(value: unknown): value is Record<PropertyKey, unknown> {
  if (!isObject(value)) return false
  const ctor: unknown = value.constructor
  if (typeof ctor !== 'function') return true
  const proto: unknown = (ctor as { prototype?: unknown }).prototype
  return isObject(proto) && hasOwnProperty.call(proto, 'isPrototypeOf')
}

/** An object of string keys to `item`s (symbol keys rejected, `__proto__` dropped). */
export const record = <T>(item: Check<T>): Check<Record<string, T>> => ({
  run(value, issues) {
    if (!isPlainRecord(value)) {
      wrongType(issues, 'object', value)
      return value as Record<string, T>
    }
    const out: Record<string, T> = {}
    for (const key of Reflect.ownKeys(value)) {
      if (key === '__proto__' || !propertyIsEnumerable.call(value, key)) continue
      if (typeof key !== 'string') {
        issues.push({ path: [key], message: 'Invalid key in record', fatal: true })
        continue
      }
      const start = issues.length
      out[key] = item.run(value[key], issues)
      prefix(issues, start, key)
    }
    return out
  },
})

/** What an object does with keys its shape does not declare. */
export type Extra = 'strip' | 'strict' | 'loose' | Check<unknown>

/** An object with the keys of `shape`, declared keys first in the output. */
export function object<Out>(
  shape: Record<string, Check>,
  extra: Extra = 'strip',
  ...rules: Rule<Out>[]
): Check<Out> {
  const keys = Object.keys(shape)
  const declared = new Set(keys)
  return withRules((value, issues) => {
    if (!isObject(value)) {
      wrongType(issues, 'object', value)
      return value as Out
    }
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const check = shape[key]!
      const present = key in value
      if (!present && check.opt === 'optional') continue
      const start = issues.length
      const result = check.run(value[key], issues)
      prefix(issues, start, key)
      if (!present && check.opt === undefined) {
        if (issues.length === start) issues.push({ path: [key], message: 'required', fatal: true })
        continue
      }
      if (result !== undefined || present) out[key] = result
    }
    const unknownKeys: string[] = []
    for (const key in value) {
      if (declared.has(key)) continue
      if (extra === 'strict') unknownKeys.push(key)
      else if (key === '__proto__' || extra === 'strip') continue
      else if (extra === 'loose') out[key] = value[key]
      else {
        const start = issues.length
        out[key] = extra.run(value[key], issues)
        prefix(issues, start, key)
      }
    }
    if (unknownKeys.length > 0) {
      const list = unknownKeys.map((k) => JSON.stringify(k)).join(', ')
      issues.push({
        path: [],
        message: `unknown key${unknownKeys.length > 1 ? 's' : ''} ${list} (the server forbids extra keys)`,
        fatal: true,
      })
    }
    return out as Out
  }, rules)
}

/**
 * The first of `checks` that accepts the value. When none does, the problems of the one
 * whose type matched (e.g. the list form), or `does not match any allowed shape`.
 */
export const union = <T>(checks: Check<T>[]): Check<T> => ({
  run(value, issues) {
    const failures: CheckIssue[][] = []
    for (const check of checks) {
      const own: CheckIssue[] = []
      const out = check.run(value, own)
      if (own.length === 0) return out
      failures.push(own)
    }
    const matching = failures.filter((own) => !own.some((i) => i.wrongType && i.path.length === 0))
    if (matching.length === 1) {
      for (const issue of matching[0]!) issues.push({ ...issue, fatal: true, wrongType: false })
    } else {
      issues.push({ path: [], message: 'does not match any allowed shape', fatal: true })
    }
    return value as T
  },
})
