import { PrefectDateTime } from '@flowcast/core'

/** A datetime in a template context: renders like Python's `str(datetime)`, serialises like pydantic. */
export class TemplateDateTime {
  constructor(readonly iso: string) {}
  toString(): string {
    const dt = PrefectDateTime.parse(this.iso)
    const micros = dt.epochMicros
    const ms = Number(micros / 1000n)
    const frac = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n)
    const base = new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
    return `${base}${frac ? `.${String(frac).padStart(6, '0')}` : ''}+00:00`
  }
}

const undefinedValue = Symbol('undefined')
type Value = unknown

class TemplateError extends Error {}

/** Python-like `json.dumps(value, sort_keys=True)` (ensure_ascii, `, ` and `: ` separators). */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined || value === undefinedValue) return 'null'
  if (value instanceof TemplateDateTime) return pythonJsonDumps(value.iso)
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    return `{${entries.map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`
  }
  return pythonJsonDumps(String(value))
}

/** Jinja's `tojson`: sorted-key JSON with `<`, `>`, `&`, `'` escaped for HTML. */
function toJson(value: unknown): string {
  return pythonJsonDumps(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/'/g, '\\u0027')
}

function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value instanceof TemplateDateTime) return `datetime(${JSON.stringify(value.toString())})`
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`
  }
  return String(value)
}

/** Python `str(value)` as Jinja prints it; undefined prints nothing (ChainableUndefined). */
function pyStr(value: unknown): string {
  if (value === undefinedValue || value === undefined) return ''
  if (typeof value === 'string') return value
  if (value instanceof TemplateDateTime) return value.toString()
  return pyRepr(value)
}

const filters: Record<string, (value: Value, args: Value[]) => Value> = {
  tojson: (value) => toJson(value === undefinedValue ? null : value),
  default: (value, [fallback = '', boolean = false]) =>
    value === undefinedValue || value === undefined || (boolean === true && !value)
      ? fallback
      : value,
  upper: (value) => pyStr(value).toUpperCase(),
  lower: (value) => pyStr(value).toLowerCase(),
  string: (value) => pyStr(value),
  trim: (value) => pyStr(value).trim(),
  length: (value) =>
    typeof value === 'string' || Array.isArray(value)
      ? value.length
      : typeof value === 'object' && value !== null
        ? Object.keys(value).length
        : 0,
}

class Parser {
  #pos = 0
  constructor(readonly src: string) {}

  parse(context: Record<string, unknown>): Value {
    const value = this.#filtered(context)
    this.#ws()
    if (this.#pos < this.src.length) this.#fail(`unexpected '${this.src.slice(this.#pos)}'`)
    return value
  }

  #fail(message: string): never {
    throw new TemplateError(`template expression '${this.src.trim()}': ${message}`)
  }

  #ws(): void {
    while (/\s/.test(this.src[this.#pos] ?? '')) this.#pos++
  }

  #peek(): string {
    this.#ws()
    return this.src[this.#pos] ?? ''
  }

  #filtered(context: Record<string, unknown>): Value {
    let value = this.#primary(context)
    while (this.#peek() === '|') {
      this.#pos++
      const name = this.#ident()
      const filter = filters[name]
      if (!filter) this.#fail(`unknown filter '${name}'`)
      const args: Value[] = []
      if (this.#peek() === '(') {
        this.#pos++
        while (this.#peek() !== ')') {
          args.push(this.#literal() ?? this.#fail('filter arguments must be literals'))
          if (this.#peek() === ',') this.#pos++
          else if (this.#peek() !== ')') this.#fail("expected ',' or ')'")
        }
        this.#pos++
      }
      value = filter(value, args)
    }
    return value
  }

  #ident(): string {
    this.#ws()
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.#pos))
    if (!match) this.#fail('expected a name')
    this.#pos += match[0].length
    return match[0]
  }

  #literal(): Value | undefined {
    this.#ws()
    const rest = this.src.slice(this.#pos)
    const str = /^'((?:[^'\\]|\\.)*)'|^"((?:[^"\\]|\\.)*)"/.exec(rest)
    if (str) {
      this.#pos += str[0].length
      return (str[1] ?? str[2] ?? '').replace(/\\(.)/g, '$1')
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest)
    if (num) {
      this.#pos += num[0].length
      return Number(num[0])
    }
    const word = /^(true|false|True|False|none|None)\b/.exec(rest)
    if (word) {
      this.#pos += word[0].length
      const w = word[0].toLowerCase()
      return w === 'none' ? null : w === 'true'
    }
    return undefined
  }

  #primary(context: Record<string, unknown>): Value {
    const literal = this.#literal()
    if (literal !== undefined) return literal
    let value: Value = lookup(context, this.#ident())
    for (;;) {
      const next = this.#peek()
      if (next === '.') {
        this.#pos++
        value = lookup(value, this.#ident())
      } else if (next === '[') {
        this.#pos++
        const key = this.#literal()
        if (typeof key !== 'string' && typeof key !== 'number') this.#fail('expected a literal key')
        if (this.#peek() !== ']') this.#fail("expected ']'")
        this.#pos++
        value = lookup(value, key)
      } else {
        return value
      }
    }
  }
}

function lookup(value: Value, key: string | number): Value {
  if (value === null || typeof value !== 'object') return undefinedValue
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') return undefinedValue
  if (!Object.prototype.hasOwnProperty.call(value, key)) return undefinedValue
  return (value as Record<string | number, unknown>)[key]
}

/**
 * Renders a safe subset of Jinja: `{{ expression }}` with dotted and `['key']` access, literals and
 * the filters `tojson`, `default`, `upper`, `lower`, `string`, `trim`, `length`; `{# comments #}`.
 * No statements (`{% … %}`), calls or attribute access beyond data: nothing can execute.
 * Throws on syntax errors and statements.
 */
export function renderTemplate(template: string, context: Record<string, unknown>): string {
  let out = ''
  let i = 0
  while (i < template.length) {
    const open = template.indexOf('{', i)
    if (open === -1 || open === template.length - 1) {
      out += template.slice(i)
      break
    }
    const kind = template[open + 1]
    if (kind !== '{' && kind !== '%' && kind !== '#') {
      out += template.slice(i, open + 1)
      i = open + 1
      continue
    }
    out += template.slice(i, open)
    const closeToken = kind === '{' ? '}}' : kind === '%' ? '%}' : '#}'
    const close = template.indexOf(closeToken, open + 2)
    if (close === -1) throw new TemplateError(`unclosed '{${kind}' in template`)
    const inner = template.slice(open + 2, close)
    if (kind === '%') throw new TemplateError('template statements ({% … %}) are not supported')
    if (kind === '{') out += pyStr(new Parser(inner).parse(context))
    i = close + 2
  }
  return out
}
