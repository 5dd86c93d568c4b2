import { describe, expect, it } from 'vitest'
import { TOKEN, scan } from './url'

const paramValues = (s: string, name: string) => scan(s, name)[0]
const stripParam = (s: string, name: string) => scan(s, name)[1]

const T = '0b7c0a52-8c1e-4c43-9d2f-1b1f7e0c9a11'

describe('TOKEN', () => {
  it('accepts Segment UUIDs and short site ids of 8–128 characters of [A-Za-z0-9._:-]', () => {
    for (const t of [T, 'abcdefgh', 'a.b_c:d-e', 'x'.repeat(128)]) expect(TOKEN.test(t)).toBe(true)
  })
  it.each([
    ['too short', 'abcdefg'],
    ['129 characters', 'x'.repeat(129)],
    ['<script>', '<script>alert(1)</script>'],
    ['quotes', `abc"def'ghi`],
    ['a NUL byte', 'abcdefgh\u0000'],
    ['a Cyrillic а look-alike', '0b7c0\u0430-8c1e-4c43'],
    ['a space', 'abcd efgh'],
    ['empty', ''],
    ['a newline at the end', 'abcdefgh\n'],
  ])('refuses %s', (_, t) => expect(TOKEN.test(t)).toBe(false))
})

describe('scan: values', () => {
  it('reads and decodes every value of the parameter, in order', () => {
    expect(paramValues(`https://s.test/p?a=1&mst=${T}&b=2`, 'mst')).toEqual([T])
    expect(paramValues('https://s.test/?mst=one&mst=two', 'mst')).toEqual(['one', 'two'])
    expect(paramValues('?mst=a%3Ab', 'mst')).toEqual(['a:b'])
    expect(paramValues('?m%73t=encoded-name', 'mst')).toEqual(['encoded-name'])
  })
  it('gives an empty string for `mst=` and a bare `mst`', () => {
    expect(paramValues('https://s.test/?mst=', 'mst')).toEqual([''])
    expect(paramValues('https://s.test/?mst&a=1', 'mst')).toEqual([''])
  })
  it('decodes leniently, as browsers do: a value that does not decode is kept partly encoded (TOKEN refuses it)', () => {
    const [v] = paramValues('https://s.test/?mst=%E0%A4%A', 'mst')
    expect(v).toContain('%A')
    expect(TOKEN.test(v!)).toBe(false)
  })
  it('decodes + as a space', () => {
    expect(paramValues('?mst=a+b', 'mst')).toEqual(['a b'])
  })
  it('does not match parameters whose name merely contains the name', () => {
    expect(paramValues('https://s.test/?xmst=1&mst_x=2&utm_mst=3', 'mst')).toEqual([])
  })
  it('ignores the hash, even a hash with its own query (hash routers)', () => {
    expect(paramValues(`https://s.test/p#mst=${T}`, 'mst')).toEqual([])
    expect(paramValues(`https://s.test/p#/route?mst=${T}`, 'mst')).toEqual([])
    expect(paramValues(`https://s.test/p?a=1#/route?mst=${T}`, 'mst')).toEqual([])
  })
  it('gives nothing without a query', () => {
    expect(paramValues('https://s.test/p', 'mst')).toEqual([])
    expect(paramValues('', 'mst')).toEqual([])
  })
})

describe('scan: the string without the parameter', () => {
  it('removes every occurrence and keeps the other parameters in order, raw, with the hash', () => {
    const kx = '_kx=eyJrIjoiMSJ9%3D%3D.AbC123'
    expect(stripParam(`https://s.test/p?utm_source=klaviyo&mst=${T}&${kx}&utm_campaign=Spring%20Sale&mst=${T}#top`, 'mst'))
      .toBe(`https://s.test/p?utm_source=klaviyo&${kx}&utm_campaign=Spring%20Sale#top`)
  })
  it('drops the `?` when the token was the only parameter', () => {
    expect(stripParam(`https://s.test/p?mst=${T}#h`, 'mst')).toBe('https://s.test/p#h')
    expect(stripParam(`?mst=${T}`, 'mst')).toBe('')
  })
  it('returns the same string when the parameter is absent', () => {
    const u = 'https://s.test/p?a=1&b=%20#x?mst=1'
    expect(stripParam(u, 'mst')).toBe(u)
  })
  it('leaves a token that is only in the hash untouched', () => {
    for (const u of [`https://s.test/p#mst=${T}`, `https://s.test/p#/route?mst=${T}`, `https://s.test/p?a=1#/r?mst=${T}`])
      expect(stripParam(u, 'mst')).toBe(u)
  })
  it('strips a custom parameter name only', () => {
    expect(stripParam(`https://s.test/?mst=keep&ref=${T}`, 'ref')).toBe('https://s.test/?mst=keep')
  })
  it('strips malformed values too (empty, undecodable)', () => {
    expect(stripParam('https://s.test/?a=1&mst=&b=2', 'mst')).toBe('https://s.test/?a=1&b=2')
    expect(stripParam('https://s.test/?mst=%E0%A4%A&b=2', 'mst')).toBe('https://s.test/?b=2')
  })
})
