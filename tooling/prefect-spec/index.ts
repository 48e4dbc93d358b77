import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

const here = (name: string) => fileURLToPath(new URL(`./data/${name}`, import.meta.url))

/**
 * Absolute path of Prefect's OpenAPI schema: an unchanged copy of its
 * `docs/v3/api-ref/rest-api/server/schema.json` (docs/protocol.md §8).
 */
export const openApiPath = here('prefect-openapi.json')

/** Absolute path of the reference `/events/out` frames (docs/protocol.md §4.6). */
export const flowRunFramesPath = here('flow-run-frames.jsonl')

/** The recorded frames, one raw text frame per line, exactly as the server wrote them. */
export function readFlowRunFrames(): string[] {
  return readFileSync(flowRunFramesPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
}

let ajv: Ajv2020 | undefined
let openApi: { components: { schemas: Record<string, unknown> } } | undefined
const validators = new Map<string, ValidateFunction>()

/** Prefect's OpenAPI document, parsed once. */
export function readOpenApi(): { components: { schemas: Record<string, unknown> } } {
  openApi ??= JSON.parse(readFileSync(openApiPath, 'utf8')) as {
    components: { schemas: Record<string, unknown> }
  }
  return openApi
}

/** The recorded frames' `event` objects (ReceivedEvent JSON), in order. */
export function readFlowRunEvents(): Record<string, unknown>[] {
  return readFlowRunFrames().map(
    (raw) => (JSON.parse(raw) as { event: Record<string, unknown> }).event,
  )
}

function getAjv(): Ajv2020 {
  if (ajv) return ajv
  const doc = readOpenApi()
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void
  addFormats(ajv)
  // OpenAPI-only keywords that JSON Schema does not define.
  ajv.addKeyword('discriminator')
  ajv.addKeyword('example')
  ajv.addKeyword('xml')
  ajv.addKeyword('externalDocs')
  ajv.addSchema({ ...doc, $id: 'prefect-openapi.json' })
  return ajv
}

/** Names of every schema in `components.schemas` of Prefect's OpenAPI document. */
export function schemaNames(): string[] {
  return Object.keys(readOpenApi().components.schemas)
}

/**
 * Validates `value` against `components.schemas[name]` of Prefect's OpenAPI schema and
 * returns the list of problems (empty when valid), each as `path: message`; unknown keys
 * are named, e.g. `/event: must NOT have additional properties (prefixes)`.
 * @throws Error when `name` is not a schema of the document
 */
export function validateAgainstSchema(name: string, value: unknown): string[] {
  if (!Object.hasOwn(readOpenApi().components.schemas, name)) {
    throw new Error(`no schema named ${JSON.stringify(name)} in prefect-openapi.json`)
  }
  let validate = validators.get(name)
  if (!validate) {
    validate = getAjv().compile({ $ref: `prefect-openapi.json#/components/schemas/${name}` })
    validators.set(name, validate)
  }
  if (validate(value)) return []
  return (validate.errors ?? []).map((e) => {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty
    return `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${extra ? ` (${extra})` : ''}`
  })
}
