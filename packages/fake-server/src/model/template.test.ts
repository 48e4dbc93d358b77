import { describe, expect, it } from 'vitest'
import { pythonJsonDumps, renderTemplate, TemplateDateTime } from './template.js'

const context = {
  event: {
    event: 'prefect.flow-run.Completed',
    occurred: new TemplateDateTime('2026-08-20T14:03:14.927005Z'),
    resource: { 'prefect.resource.id': 'prefect.flow-run.abc', 'prefect.state-type': 'COMPLETED' },
    payload: { n: 1, ok: true, none: null, list: ['a'] },
  },
}

describe('renderTemplate (a safe Jinja subset)', () => {
  it.each([
    ['{{ event.event }}', 'prefect.flow-run.Completed'],
    ["{{ event.resource['prefect.resource.id'] }}", 'prefect.flow-run.abc'],
    ['{{ event.resource["prefect.state-type"]|lower }}', 'completed'],
    ['{{ event.occurred }}', '2026-08-20 14:03:14.927005+00:00'],
    ['{{ event.payload.ok }} {{ event.payload.none }} {{ event.payload.n }}', 'True None 1'],
    ['{{ event.payload }}', "{'n': 1, 'ok': True, 'none': None, 'list': ['a']}"],
    ['{{ event.missing.deeper }}|{{ nope }}', '|'],
    ["{{ event.missing|default('x') }}", 'x'],
    ['{# a comment #}{{ "lit" }} { not a tag }', 'lit { not a tag }'],
    ['{{ event.occurred|tojson }}', '"2026-08-20T14:03:14.927005Z"'],
    ['{{ event.payload|tojson }}', '{"list": ["a"], "n": 1, "none": null, "ok": true}'],
  ])('%s', (template, expected) => {
    expect(renderTemplate(template, context)).toBe(expected)
  })

  it.each([
    '{% for x in y %}{% endfor %}',
    '{{ event.event.__class__ }}x{{ ',
    '{{ event|attr("x") }}',
    '{{ event.event() }}',
  ])('refuses %s', (template) => {
    expect(() => renderTemplate(template, context)).toThrow()
  })

  it('never reaches prototypes', () => {
    expect(renderTemplate('{{ event.constructor }}{{ event.__proto__ }}', context)).toBe('')
  })

  it('dumps JSON like Python (sorted keys, ensure_ascii)', () => {
    expect(pythonJsonDumps({ b: 'é', a: [1, 2] })).toBe('{"a": [1, 2], "b": "\\u00e9"}')
  })
})
