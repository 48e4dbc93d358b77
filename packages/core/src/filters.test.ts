import { readFlowRunFrames } from '@flowcast/prefect-spec'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import fnmatchFixture from '../test/fixtures/fnmatchcase.json' with { type: 'json' }
import { matchesFilter, matchesLabelPattern, matchesTextQuery } from './filters.js'
import type { Event, EventFilter } from './models.js'

const [pending, running, completed] = readFlowRunFrames().map(
  (raw) => JSON.parse(raw).event as Event,
) as [Event, Event, Event]
const runResource = pending.resource['prefect.resource.id']

describe('matchesLabelPattern: fnmatchcase globs with ! negation', () => {
  test.each([
    ['prefect.flow-run.abc', 'prefect.flow-run.*', true],
    ['prefect.flow-run.abc', 'prefect.flow.*', false],
    ['abc', 'a?c', true],
    ['ac', 'a?c', false],
    ['', '*', true],
    ['', '?', false],
    ['abbbc', 'a*b*c', true],
    ['abcd', 'a*c', false],
    ['a.b', 'a[.]b', true],
    ['axb', 'a[!.]b', true],
    ['a.b', 'a[!.]b', false],
    ['b', '[a-c]', true],
    ['d', '[a-c]', false],
    ['-', '[a-]', true],
    [']', '[]]', true],
    ['!', '[!]', false],
    ['[!]', '[!]', true],
    ['[ab', '[ab', true],
    ['a', '[z-a]', false],
    ['x', '[xz-a]', true],
    ['-', '[a-c-e]', true],
    ['d', '[a-c-e]', false],
    ['Abc', 'abc', false],
    ['a\\b', 'a\\b', true],
    ['a\\b', 'a[\\]b', true],
    ['a%b', 'a%b', true],
    ['axb', 'a_b', false],
    ['line\nbreak', 'line*', true],
    ['😀', '?', true],
    ['😀x', '??', true],
    ['x*y', 'x[*]y', true],
    ['xzy', 'x[*]y', false],
    ['^', '[^]', true],
    ['a', '[^a]', true],
    // negation
    ['world', '!world', false],
    ['earth', '!world', true],
    ['prefect.flow-run.x', '!prefect.flow-run.*', false],
    ['prefect.flow.x', '!prefect.flow-run.*', true],
    ['', '!', false],
    ['x', '!', true],
  ])('%j ~ %j = %s', (value, pattern, expected) => {
    expect(matchesLabelPattern(value, pattern)).toBe(expected)
  })

  test('a missing label never matches, even negated', () => {
    expect(matchesLabelPattern(undefined, '!world')).toBe(false)
    expect(matchesLabelPattern(undefined, '*')).toBe(false)
  })

  test(`agrees with Python's fnmatchcase on ${fnmatchFixture.cases.length} generated cases`, () => {
    const mismatches = (fnmatchFixture.cases as [string, string, boolean][]).filter(
      ([value, pattern, expected]) =>
        !pattern.startsWith('!') && matchesLabelPattern(value, pattern) !== expected,
    )
    expect(mismatches).toEqual([])
  })

  test('property: a literal pattern (no glob characters) is equality; ! negates', () => {
    const literal = fc.string().filter((s) => !/[*?[!]/.test(s))
    fc.assert(
      fc.property(literal, literal, (a, b) => {
        expect(matchesLabelPattern(a, b)).toBe(a === b)
        expect(matchesLabelPattern(a, `!${b}`)).toBe(a !== b)
      }),
    )
  })

  test('property: prefix* matches exactly the strings that start with prefix', () => {
    const text = fc.string().filter((s) => !/[*?[!]/.test(s))
    fc.assert(
      fc.property(text, text, (value, prefix) => {
        expect(matchesLabelPattern(value, `${prefix}*`)).toBe(value.startsWith(prefix))
      }),
    )
  })

  test('pathological patterns stay fast', () => {
    const started = performance.now()
    expect(matchesLabelPattern('a'.repeat(5000), `${'*a'.repeat(50)}b`)).toBe(false)
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('matchesFilter over the recorded events', () => {
  test('an empty filter matches everything', () => {
    expect(matchesFilter(pending, {})).toBe(true)
  })

  test('the Python FlowRunSubscriber filter', () => {
    const filter: EventFilter = { any_resource: { id: [runResource] } }
    expect([pending, running, completed].every((e) => matchesFilter(e, filter))).toBe(true)
    expect(matchesFilter(pending, { any_resource: { id: ['prefect.flow-run.other'] } })).toBe(false)
  })

  describe('occurred (inclusive, to the microsecond)', () => {
    test.each([
      [{ since: '2026-08-20T14:03:09.517204Z' }, true],
      [{ since: '2026-08-20T14:03:09.517205Z' }, false],
      [{ until: '2026-08-20T14:03:09.517204Z' }, true],
      [{ until: '2026-08-20T14:03:09.517203Z' }, false],
      [{ until: '2026-08-20T16:03:09.517204+02:00' }, true],
      [{ since: '2026-08-20T14:00:00Z', until: '2027-08-20T14:00:00Z' }, true],
      [{}, true],
    ])('%j → %s', (occurred, expected) => {
      expect(matchesFilter(pending, { occurred })).toBe(expected)
    })
    test('skipped with { occurred: false }', () => {
      expect(
        matchesFilter(
          pending,
          { occurred: { until: '2000-01-01T00:00:00Z' } },
          { occurred: false },
        ),
      ).toBe(true)
    })
    test('an unparsable event time never matches a bound', () => {
      expect(
        matchesFilter(
          { ...pending, occurred: 'x' },
          { occurred: { since: '2000-01-01T00:00:00Z' } },
        ),
      ).toBe(false)
    })
  })

  describe('event names', () => {
    test.each([
      [{ prefix: ['prefect.flow-run.'] }, true],
      [{ prefix: ['prefect.task-run.', 'prefect.flow-run.P'] }, true],
      [{ prefix: ['prefect.task-run.'] }, false],
      [{ prefix: [] }, true],
      [{ exclude_prefix: ['prefect.flow-run.'] }, false],
      [{ exclude_prefix: ['prefect.task-run.'] }, true],
      [{ exclude_prefix: [] }, true],
      [{ name: ['prefect.flow-run.Pending'] }, true],
      [{ name: ['prefect.flow-run.Pend'] }, false],
      [{ name: [] }, true],
      [{ exclude_name: ['prefect.flow-run.Pending'] }, false],
      [{ exclude_name: [] }, true],
      [{ prefix: ['prefect.'], exclude_name: ['prefect.flow-run.Pending'] }, false],
      [{ prefix: null, name: null }, true],
      [{ prefix: ['prefect.flow-run.%'] }, false],
    ])('%j → %s', (event, expected) => {
      expect(matchesFilter(pending, { event })).toBe(expected)
    })
  })

  describe('resource (primary only)', () => {
    test.each([
      [{ id: [runResource] }, true],
      [{ id: ['prefect.flow.3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10'] }, false],
      [{ id: [] }, true],
      [{ id_prefix: ['prefect.flow-run.'] }, true],
      [{ id_prefix: ['prefect.flow.'] }, false],
      [{ labels: { 'prefect.state-type': 'PENDING' } }, true],
      [{ labels: { 'prefect.state-type': ['RUNNING', 'PENDING'] } }, true],
      [{ labels: { 'prefect.state-type': '!PENDING' } }, false],
      [{ labels: { 'prefect.state-type': ['!PENDING', 'PENDING'] } }, true],
      [{ labels: { 'prefect.state-type': ['a', '!b'] } }, true],
      [{ labels: { 'prefect.state-type': [] } }, false],
      [{ labels: { 'prefect.resource.name': 'hopeful-*' } }, true],
      [{ labels: { 'prefect.resource.name': 'hopeful-*', 'prefect.run-count': '1' } }, false],
      [{ labels: { hello: '!world' } }, false],
      [{ labels: {} }, true],
      [{ labels: { 'prefect.resource.role': 'flow' } }, false],
      [{ distinct: true }, true],
    ])('%j → %s', (resource, expected) => {
      expect(matchesFilter(pending, { resource })).toBe(expected)
    })
  })

  describe('any_resource (one single resource must match everything)', () => {
    test.each([
      [{ id: ['prefect.tag.etl'] }, true],
      [{ id_prefix: ['prefect.work-pool.'] }, true],
      [{ labels: { 'prefect.work-pool.type': 'process' } }, true],
      [{ id_prefix: ['prefect.tag.'], labels: { 'prefect.resource.role': 'flow' } }, false],
      [{ id_prefix: ['prefect.tag.'], labels: { 'prefect.resource.role': 'tag' } }, true],
      [{ id: ['prefect.tag.etl'], id_prefix: ['prefect.tag.n'] }, false],
      [{ labels: { 'prefect.resource.name': 'etl-*' } }, true],
      [{ labels: { 'prefect.resource.name': [] } }, false],
      [{}, true],
      [[{ id: ['prefect.tag.etl'] }, { id: ['prefect.tag.nightly'] }], true],
      [[{ id: ['prefect.tag.etl'] }, { id: ['prefect.tag.weekly'] }], false],
      [[], true],
    ])('%j → %s', (any_resource, expected) => {
      expect(matchesFilter(pending, { any_resource })).toBe(expected)
    })
  })

  describe('related (related resources only, role ≠ "")', () => {
    test.each([
      [{ role: ['flow'] }, true],
      [{ role: ['flow-run'] }, false],
      [{ id: ['prefect.tag.etl'] }, true],
      [{ id: [runResource] }, false],
      [{ id: ['prefect.tag.etl'], role: ['tag'] }, true],
      [{ id: ['prefect.tag.etl'], role: ['flow'] }, false],
      [{ resources_in_roles: [['prefect.tag.etl', 'tag']] }, true],
      [{ resources_in_roles: [['prefect.tag.etl', 'flow']] }, false],
      [
        {
          resources_in_roles: [
            ['x', 'y'],
            ['prefect.tag.nightly', 'tag'],
          ],
        },
        true,
      ],
      [{ labels: { 'prefect.resource.id': 'prefect.work-pool.*' } }, true],
      [{ labels: { 'prefect.resource.id': '!prefect.tag.*' } }, true],
      [
        { labels: { 'prefect.resource.role': 'work-pool', 'prefect.work-pool.type': 'process' } },
        true,
      ],
      [{ labels: { 'prefect.resource.role': 'work-*' } }, false],
      [{ labels: { 'prefect.resource.role': 'tag', 'prefect.resource.name': '*' } }, false],
      [{ labels: { 'prefect.resource.name': [] } }, false],
      [{ id: [], role: [], labels: {} }, true],
      [[{ role: ['flow'] }, { role: ['deployment'] }], true],
      [[{ role: ['flow'] }, { role: ['automation'] }], false],
    ])('%j → %s', (related, expected) => {
      expect(matchesFilter(pending, { related } as EventFilter)).toBe(expected)
    })

    test('a related resource with an empty role never matches', () => {
      const event = {
        ...pending,
        related: [{ 'prefect.resource.id': 'prefect.tag.x', 'prefect.resource.role': '' }],
      }
      expect(matchesFilter(event, { related: { id: ['prefect.tag.x'] } })).toBe(false)
    })

    test('skipped with { related: false } (as the server does for live events)', () => {
      expect(
        matchesFilter(pending, { related: { role: ['automation'] } }, { related: false }),
      ).toBe(true)
    })
  })

  describe('id', () => {
    test.each([
      [{ id: [pending.id] }, true],
      [{ id: [pending.id.toUpperCase()] }, true],
      [{ id: [running.id] }, false],
      [{ id: [] }, true],
      [{ id: null }, true],
      [{}, true],
    ])('%j → %s', (id, expected) => {
      expect(matchesFilter(pending, { id })).toBe(expected)
    })
  })

  test('every part is ANDed', () => {
    const filter: EventFilter = {
      occurred: { since: '2026-08-20T14:00:00Z', until: '2027-01-01T00:00:00Z' },
      event: { prefix: ['prefect.flow-run.'] },
      resource: {
        labels: { 'prefect.state-type': ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'] },
      },
      related: { role: ['deployment'] },
      any_resource: { id: [runResource] },
      text: { query: 'nightly' },
      order: 'ASC',
    }
    expect([pending, running, completed].map((e) => matchesFilter(e, filter))).toEqual([
      false,
      false,
      true,
    ])
    expect(matchesFilter(completed, { ...filter, text: { query: '-nightly' } })).toBe(false)
  })
})

describe('matchesTextQuery', () => {
  const event: Event = {
    ...pending,
    payload: { detail: { note: "it's done", ok: true, count: 3, none: null } },
  }
  test.each([
    ['', true],
    ['   ', true],
    ['pending', true],
    ['PENDING', true],
    ['hopeful', true],
    ['etl-pipeline', true],
    ['process', true],
    ['nothing-here', false],
    ['nothing-here pending', true],
    ['-pending', false],
    ['!pending', false],
    ['pending -tortoise', false],
    ['pending -giraffe', true],
    ['+pending +giraffe', false],
    ['+pending +tortoise', true],
    ['"hopeful-tortoise"', true],
    ['"hopeful tortoise"', false],
    ['-"local-pool"', false],
    ['+"flow-run.Pending"', true],
    ['"it\'s done"', true],
    ["'ok': true", true],
    ["'none': none", true],
    ["'count': 3", true],
    ['"{\'detail\'"', true],
    ['"missing\\" quote"', false],
  ])('%j → %s', (query, expected) => {
    expect(matchesTextQuery(event, query)).toBe(expected)
    expect(matchesFilter(event, { text: { query } })).toBe(expected)
  })

  test('label names are not searched, only values', () => {
    expect(matchesTextQuery(pending, 'prefect.run-count')).toBe(false)
  })

  test('payload is searched as Python would print it', () => {
    // str({'msg': 'line\nnext'}) shows the newline as backslash + n
    const multiline: Event = { ...pending, payload: { msg: 'line\nnext' } }
    expect(matchesTextQuery(multiline, 'line\\nnext')).toBe(true)
    // str({'m': "it's"}) switches to double quotes; \" escapes a quote in a query
    const apostrophe: Event = { ...pending, payload: { m: "it's" } }
    expect(matchesTextQuery(apostrophe, '"\\"it\'s\\""')).toBe(true)
    expect(matchesTextQuery(apostrophe, "\"'it's'\"")).toBe(false)
    // Python's True/None, not JSON's true/null
    const flags: Event = { ...pending, payload: { ok: true, gone: null, n: 1.5, list: ['a'] } }
    expect(matchesTextQuery(flags, "\"{'ok': true, 'gone': none, 'n': 1.5, 'list': ['a']}\"")).toBe(
      true,
    )
    expect(matchesTextQuery(flags, '"\\"ok\\":true"')).toBe(false)
  })

  test('an empty payload contributes nothing', () => {
    expect(matchesTextQuery({ ...pending, payload: {} }, '{}')).toBe(false)
  })
})
