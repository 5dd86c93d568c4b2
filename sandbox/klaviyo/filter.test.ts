import { describe, expect, it } from 'vitest'
import { parseFilter } from './filter'

describe('filter parsing', () => {
  it('reads comma lists, and(), quoted strings, lists and bare datetimes', () => {
    expect(parseFilter('and(equals(metric_id,"A,B"),greater-than(datetime,2026-07-01T00:00:00+00:00)),any(email,["a@x.co","b@x.co"])')).toEqual([
      { op: 'equals', field: 'metric_id', value: 'A,B' },
      { op: 'greater-than', field: 'datetime', value: '2026-07-01T00:00:00+00:00' },
      { op: 'any', field: 'email', value: ['a@x.co', 'b@x.co'] },
    ])
    expect(parseFilter('less-than(datetime,2026-07-01T00:00:00 00:00)')[0].value).toBe('2026-07-01T00:00:00+00:00')
    expect(() => parseFilter('or(equals(a,"b"))')).toThrow()
    expect(() => parseFilter('equals(a,"b"')).toThrow()
  })
})
