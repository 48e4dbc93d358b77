// Node-only: checks flow-run parameters against a deployment's `parameter_openapi_schema`
// before a run is created, naming every bad parameter, and reads `--param` values by the
// schema. Browsers rely on the server's 409 instead (no JSON Schema validator there).
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'

type SchemaObject = Record<string, unknown>

/** One parameter that fails the schema. */
export interface ParameterIssue {
  /** The parameter's name (`null` when the problem is the parameters object as a whole). */
  parameter: string | null
  /** What is wrong, e.g. `must be integer, got "abc"`. */
  message: string
}

// Prefect validates as draft 2020-12 without format assertions, and its schemas carry
// non-standard keywords (`position`), so strict mode is off.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
const compiled = new WeakMap<object, ValidateFunction>()

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The schema as Prefect's server reads it (docs/protocol.md §6.3, `preprocess_schema`): an
 * optional property with a `type` and no `default` also accepts null, and tuple `items`
 * lists become `prefixItems`.
 */
function preprocess(schema: SchemaObject): SchemaObject {
  const fix = (properties: SchemaObject, required: readonly unknown[]) => {
    for (const [key, value] of Object.entries(properties)) {
      if (!isObject(value)) continue
      if (!required.includes(key) && 'type' in value && value.type !== 'null') {
        if (!('default' in value)) {
          const types = Array.isArray(value.type) ? value.type : [value.type]
          value.type = types.includes('null') ? types : [...types, 'null']
        }
      }
      if (Array.isArray(value.items) && !value.prefixItems) {
        value.prefixItems = value.items
        delete value.items
      }
      if (isObject(value.properties)) {
        fix(value.properties, Array.isArray(value.required) ? value.required : [])
      }
    }
  }
  const copy = structuredClone(schema)
  if (isObject(copy.properties)) {
    fix(copy.properties, Array.isArray(copy.required) ? copy.required : [])
  }
  if (isObject(copy.definitions)) {
    for (const definition of Object.values(copy.definitions)) {
      if (isObject(definition) && isObject(definition.properties)) {
        fix(definition.properties, Array.isArray(definition.required) ? definition.required : [])
      }
    }
  }
  return copy
}

function shown(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root
  for (const raw of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  return current
}

/** `/a/0/b` → `a[0].b`. */
function displayPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => {
      if (/^\d+$/.test(segment) && path !== '') return `${path}[${segment}]`
      return path === '' ? segment : `${path}.${segment}`
    }, '')
}

function describe(error: ErrorObject, parameters: unknown): string {
  const params = error.params as Record<string, unknown>
  const got = `got ${shown(valueAt(parameters, error.instancePath))}`
  switch (error.keyword) {
    case 'type':
      return `must be ${String(params.type).split(',').join(' or ')}, ${got}`
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(shown).join(', ')}, ${got}`
    case 'const':
      return `must be ${shown(params.allowedValue)}, ${got}`
    case 'required':
      return 'is required'
    case 'additionalProperties':
      return 'is not a parameter of this flow'
    default:
      return `${error.message ?? `fails ${error.keyword}`}, ${got}`
  }
}

/**
 * Every problem of `parameters` (already merged over the deployment's defaults) against the
 * deployment's parameter schema, one or more per bad parameter; `[]` when they pass.
 * @throws Error when the schema itself cannot be compiled
 */
export function checkParameters(
  parameters: Record<string, unknown>,
  schema: SchemaObject,
): ParameterIssue[] {
  let validate = compiled.get(schema)
  if (!validate) {
    validate = ajv.compile(preprocess(schema))
    compiled.set(schema, validate)
  }
  if (validate(parameters)) return []
  const errors = validate.errors ?? []
  // A failed anyOf/oneOf is said once, with the types its branches wanted, instead of once
  // per branch.
  const grouped = new Set<ErrorObject>()
  const issues: ParameterIssue[] = []
  for (const error of errors) {
    if (error.keyword !== 'anyOf' && error.keyword !== 'oneOf') continue
    const branches = errors.filter(
      (e) => e !== error && e.schemaPath.startsWith(`${error.schemaPath}/`),
    )
    for (const branch of branches) grouped.add(branch)
    const types = branches.every(
      (b) => b.keyword === 'type' && b.instancePath === error.instancePath,
    )
      ? branches.map((b) => String((b.params as Record<string, unknown>).type))
      : undefined
    const got = `got ${shown(valueAt(parameters, error.instancePath))}`
    issues.push(
      issueFor(
        error,
        types
          ? `must be ${types.join(' or ')}, ${got}`
          : `matches none of the allowed forms, ${got}`,
      ),
    )
  }
  for (const error of errors) {
    if (grouped.has(error) || error.keyword === 'anyOf' || error.keyword === 'oneOf') continue
    issues.push(issueFor(error, describe(error, parameters)))
  }
  const seen = new Set<string>()
  return issues.filter((issue) => {
    const key = `${issue.parameter}\u0000${issue.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function issueFor(error: ErrorObject, message: string): ParameterIssue {
  const params = error.params as Record<string, unknown>
  let pointer = error.instancePath
  if (error.keyword === 'required') pointer += `/${String(params.missingProperty)}`
  if (error.keyword === 'additionalProperties') pointer += `/${String(params.additionalProperty)}`
  const path = displayPath(pointer)
  return { parameter: path === '' ? null : path, message }
}

function resolveRef(schema: SchemaObject, root: SchemaObject): SchemaObject {
  const ref = schema.$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema
  const target = valueAt(root, ref.slice(1))
  return isObject(target) ? target : schema
}

/** Whether a property's schema accepts only text (plus null), so `--param` keeps the value as typed. */
function takesTextOnly(property: SchemaObject, root: SchemaObject): boolean {
  const schema = resolveRef(property, root)
  const allOf = schema.allOf
  if (Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0])) {
    return takesTextOnly(allOf[0], root)
  }
  const branches = schema.anyOf ?? schema.oneOf
  if (Array.isArray(branches)) {
    const kinds = branches.filter(isObject).filter((b) => resolveRef(b, root).type !== 'null')
    return kinds.length > 0 && kinds.every((b) => takesTextOnly(b, root))
  }
  if (Array.isArray(schema.enum)) return schema.enum.every((v) => typeof v === 'string')
  if (typeof schema.const === 'string') return true
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const real = types.filter((t) => t !== 'null')
  return real.length > 0 && real.every((t) => t === 'string')
}

/**
 * A `--param KEY=VALUE` value: kept as text when the schema says the parameter is a string
 * (`version=1.10` stays `'1.10'`), else parsed as JSON when it parses (`n=3` → 3), else text.
 */
export function readParameterValue(
  key: string,
  raw: string,
  schema: SchemaObject | null | undefined,
): unknown {
  const property = isObject(schema) && isObject(schema.properties) ? schema.properties[key] : null
  if (isObject(property) && schema && takesTextOnly(property, schema)) return raw
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return raw
  }
}
