import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'

// How Prefect checks a run's parameters against a deployment's `parameter_openapi_schema`
// (docs/protocol.md §6.3): the schema is first rewritten like pydantic-v1 output needs
// (an optional property without a default also accepts null; `items` lists become
// `prefixItems`), then validated as draft 2020-12 without format assertions, and the first
// error becomes one message in the words of Python's `jsonschema`.

const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false })
const compiled = new WeakMap<object, ValidateFunction | Error>()

type SchemaObject = Record<string, unknown>

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fixProperties(properties: SchemaObject, required: readonly unknown[]): void {
  for (const [key, value] of Object.entries(properties)) {
    if (!isObject(value)) continue
    if (
      !required.includes(key) &&
      'type' in value &&
      value.type !== 'null' &&
      !('default' in value)
    ) {
      value.anyOf = [{ type: value.type }, { type: 'null' }]
      delete value.type
    }
    if (Array.isArray(value.items) && !value.prefixItems) {
      value.prefixItems = value.items
      delete value.items
    }
    if (isObject(value.properties)) {
      fixProperties(value.properties, Array.isArray(value.required) ? value.required : [])
    }
  }
}

/** Prefect's `preprocess_schema`, on a copy. */
function preprocessParameterSchema(schema: SchemaObject): SchemaObject {
  const copy = structuredClone(schema)
  if (isObject(copy.properties)) {
    fixProperties(copy.properties, Array.isArray(copy.required) ? copy.required : [])
  }
  if (isObject(copy.definitions)) {
    for (const definition of Object.values(copy.definitions)) {
      if (isObject(definition) && isObject(definition.properties)) {
        fixProperties(
          definition.properties,
          Array.isArray(definition.required) ? definition.required : [],
        )
      }
    }
  }
  return copy
}

function validatorFor(schema: SchemaObject): ValidateFunction | Error {
  let found = compiled.get(schema)
  if (!found) {
    try {
      found = ajv.compile(preprocessParameterSchema(schema))
    } catch (error) {
      found = error instanceof Error ? error : new Error(String(error))
    }
    compiled.set(schema, found)
  }
  return found
}

/** A value as Python's `repr` prints the JSON value it parses to. */
function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
    const escaped = value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
    return quote === "'" ? `'${escaped.replace(/'/g, "\\'")}'` : `"${escaped}"`
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as SchemaObject)
    return `{${entries.map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`
  }
  return String(value)
}

/** `jsonschema`'s message for one failed keyword. */
function jsonschemaMessage(error: ErrorObject): string {
  const data: unknown = error.data
  const params = error.params as Record<string, unknown>
  const shown = pythonRepr(data)
  switch (error.keyword) {
    case 'type': {
      const types = String(params.type).split(',')
      return `${shown} is not of type ${types.map(pythonRepr).join(', ')}`
    }
    case 'required':
      return `${pythonRepr(params.missingProperty)} is a required property`
    case 'enum':
      return `${shown} is not one of ${pythonRepr(params.allowedValues)}`
    case 'const':
      return `${pythonRepr(params.allowedValue)} was expected`
    case 'minimum':
      return `${shown} is less than the minimum of ${pythonRepr(params.limit)}`
    case 'maximum':
      return `${shown} is greater than the maximum of ${pythonRepr(params.limit)}`
    case 'exclusiveMinimum':
      return `${shown} is less than or equal to the minimum of ${pythonRepr(params.limit)}`
    case 'exclusiveMaximum':
      return `${shown} is greater than or equal to the maximum of ${pythonRepr(params.limit)}`
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return `${shown} ${params.limit === 1 ? 'should be non-empty' : 'is too short'}`
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return `${shown} ${params.limit === 0 ? 'is expected to be empty' : 'is too long'}`
    case 'pattern':
      return `${shown} does not match ${pythonRepr(params.pattern)}`
    case 'additionalProperties':
      return `Additional properties are not allowed (${pythonRepr(params.additionalProperty)} was unexpected)`
    case 'anyOf':
    case 'oneOf':
      return `${shown} is not valid under any of the given schemas`
    default:
      return error.message ?? `failed ${error.keyword}`
  }
}

/** An ajv instance path (`/a/0/b`) as `jsonschema`'s JSON path without `$.` (`a[0].b`). */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => {
      if (/^\d+$/.test(segment)) return `${path}[${segment}]`
      return path === '' ? segment : `${path}.${segment}`
    }, '')
}

/**
 * Checks parameters against a deployment's schema like Prefect's
 * `validate(..., raise_on_error=True)`: `undefined` when they pass, else the message
 * (`Validation failed for field 'n'. Failure reason: 'abc' is not of type 'integer'`).
 */
export function parameterSchemaError(
  parameters: Record<string, unknown>,
  schema: SchemaObject,
): string | undefined {
  const validate = validatorFor(schema)
  if (validate instanceof Error) return `Validation failed. Failure reason: ${validate.message}`
  if (validate(parameters)) return undefined
  const error = validate.errors?.[0]
  if (!error) return 'Validation failed.'
  const field = fieldPath(error.instancePath)
  const where = field === '' ? 'Validation failed.' : `Validation failed for field '${field}'.`
  return `${where} Failure reason: ${jsonschemaMessage({ ...error, data: dataAt(parameters, error.instancePath) })}`
}

function dataAt(root: unknown, instancePath: string): unknown {
  let current = root
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}
