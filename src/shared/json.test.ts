import { describe, expect, it } from 'vitest'
import { isRecord, parseJson, recordOf } from './json'

describe('parseJson', () => {
  it('returns the value of valid JSON', () => {
    expect(parseJson('{"a":[1,null]}')).toEqual({ ok: true, value: { a: [1, null] } })
  })
  it('reports malformed JSON instead of throwing', () => {
    const r = parseJson('{"a":')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(/JSON|Unexpected/)
  })
})

describe('isRecord / recordOf', () => {
  it('accepts plain objects only', () => {
    expect([{}, { a: 1 }].map(isRecord)).toEqual([true, true])
    expect([null, [], 'x', 1, undefined].map(isRecord)).toEqual([false, false, false, false, false])
  })
  it('recordOf gives the object itself or an empty one', () => {
    const o = { a: 1 }
    expect(recordOf(o)).toBe(o)
    expect(recordOf([1])).toEqual({})
    expect(recordOf(null)).toEqual({})
  })
})
