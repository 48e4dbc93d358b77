import fc from 'fast-check'

const two = (n: number) => String(n).padStart(2, '0')
const validDatetimes = [
  '2026-08-20T14:03:09.517204Z',
  '2026-08-20T14:03:11.482913+00:00',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  '2024-02-29 23:59:59.5-04:30',
]

/** Strings near the datetime grammar: every field in and just out of range, and one-character edits. */
export const datetimeLike: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      year: fc.oneof(
        fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0')),
        fc.constantFrom('0001', '9999', '0000', '99999', '123', '２０２６'),
      ),
      month: fc.integer({ min: 0, max: 13 }).map(two),
      day: fc.integer({ min: 0, max: 32 }).map(two),
      hour: fc.integer({ min: 0, max: 24 }).map(two),
      minute: fc.integer({ min: 0, max: 60 }).map(two),
      second: fc.integer({ min: 0, max: 60 }).map(two),
      separator: fc.constantFrom('T', 't', ' ', '_', '\t'),
      fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{0,8}$/)),
      zone: fc.constantFrom(
        'Z',
        'z',
        '+00:00',
        '-04:30',
        '+14:00',
        '+23:59',
        '-23:59',
        '+24:00',
        '-00:60',
        '',
        '+0000',
        '+00:0',
        'ZZ',
        'Z\n',
        '+00:00Z',
      ),
    })
    .map(
      (p) =>
        `${p.year}-${p.month}-${p.day}${p.separator}${p.hour}:${p.minute}:${p.second}${p.fraction}${p.zone}`,
    ),
  fc
    .tuple(fc.constantFrom(...validDatetimes), fc.nat(34), fc.string({ maxLength: 2 }), fc.nat(1))
    .map(([text, at, insert, drop]) => text.slice(0, at) + insert + text.slice(at + drop)),
)
