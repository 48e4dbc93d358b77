import { describe, expect, it } from 'vitest'
import { checkParameters, readParameterValue } from './parameter-schema.js'

// The shape Prefect generates for `def flow(n: int, version: str, tags: list[str] = [],
// limit: Optional[int] = None, mode: Mode = Mode.full)` (pydantic v2, with `position`).
const schema = {
  title: 'Parameters',
  type: 'object',
  properties: {
    n: { title: 'n', type: 'integer', position: 0 },
    version: { title: 'version', type: 'string', position: 1 },
    tags: { title: 'tags', type: 'array', items: { type: 'string' }, default: [], position: 2 },
    limit: {
      title: 'limit',
      anyOf: [{ type: 'integer' }, { type: 'null' }],
      default: null,
      position: 3,
    },
    mode: { allOf: [{ $ref: '#/definitions/Mode' }], default: 'full', position: 4 },
    note: { title: 'note', type: 'string', position: 5 },
  },
  required: ['n', 'version'],
  definitions: { Mode: { title: 'Mode', enum: ['full', 'quick'], type: 'string' } },
}

describe('readParameterValue', () => {
  it.each([
    ['version', '1.10', '1.10'],
    ['version', 'true', 'true'],
    ['mode', '1', '1'],
    ['note', 'null', 'null'],
    ['n', '3', 3],
    ['n', 'abc', 'abc'],
    ['tags', '["a","b"]', ['a', 'b']],
    ['limit', '5', 5],
    ['unknown', '1.10', 1.1],
    ['unknown', 'text', 'text'],
  ])('%s=%s is read as %j', (key, raw, expected) => {
    expect(readParameterValue(key, raw, schema)).toEqual(expected)
  })

  it('parses JSON when the deployment has no schema', () => {
    expect(readParameterValue('version', '1.10', null)).toBe(1.1)
    expect(readParameterValue('flag', 'true', undefined)).toBe(true)
  })
})

describe('checkParameters', () => {
  it('passes valid parameters, null for an optional one without a default', () => {
    expect(checkParameters({ n: 1, version: '1', note: null }, schema)).toEqual([])
  })

  it('names every bad parameter once, a failed anyOf as one line', () => {
    const issues = checkParameters({ n: 'abc', limit: 'x', mode: 'slow', tags: [1] }, schema)
    const expected = [
      { parameter: 'limit', message: 'must be integer or null, got "x"' },
      { parameter: 'n', message: 'must be integer, got "abc"' },
      { parameter: 'version', message: 'is required' },
      { parameter: 'tags[0]', message: 'must be string, got 1' },
      { parameter: 'mode', message: 'must be one of "full", "quick", got "slow"' },
    ]
    expect(issues).toHaveLength(expected.length)
    expect(issues).toEqual(expect.arrayContaining(expected))
  })
})
