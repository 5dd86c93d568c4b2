/** Parser of the `filter` query parameter (Klaviyo's `op(field,value)` syntax). */

/** A literal in a filter: quoted string, bare datetime/number/boolean/null, or a list. */
export type FilterValue = string | number | boolean | null | FilterValue[]

/** One `op(field,value)` condition. */
export interface FilterTerm {
  op: string
  field: string
  value: FilterValue
}

/** A filter string that does not parse. */
export class FilterSyntaxError extends Error {}

/** Operators Klaviyo's filter syntax knows. */
export const FILTER_OPERATORS = new Set(['equals', 'any', 'has', 'greater-than', 'greater-or-equal', 'less-than', 'less-or-equal', 'contains', 'starts-with', 'ends-with'])

/**
 * Parse Klaviyo's `filter` syntax, e.g. `equals(metric_id,"X"),greater-than(datetime,2026-01-01T00:00:00Z)`
 * or `and(equals(email,"a@b.co"),any(external_id,["1","2"]))`, into AND-ed terms. `or`/`not`
 * are refused: no endpoint served here accepts them.
 */
export function parseFilter(input: string): FilterTerm[] {
  const s = input.trim()
  let i = 0
  const fail = (msg: string): never => {
    throw new FilterSyntaxError(`${msg} at position ${i}`)
  }
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++
  }
  const ident = (): string => {
    ws()
    const m = /^[A-Za-z_$][\w.$-]*/.exec(s.slice(i))
    if (!m) return fail('expected a name')
    i += m[0].length
    return m[0]
  }
  const expect = (ch: string) => {
    ws()
    if (s[i] !== ch) fail(`expected '${ch}'`)
    i++
  }
  const value = (): FilterValue => {
    ws()
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i++]
      let out = ''
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\' && i + 1 < s.length) i++
        out += s[i++]
      }
      if (s[i] !== q) fail('unterminated string')
      i++
      return out
    }
    if (s[i] === '[') {
      i++
      const list: FilterValue[] = []
      ws()
      if (s[i] === ']') {
        i++
        return list
      }
      for (;;) {
        list.push(value())
        ws()
        if (s[i] === ',') {
          i++
          continue
        }
        expect(']')
        return list
      }
    }
    const start = i
    while (i < s.length && s[i] !== ',' && s[i] !== ')' && s[i] !== ']') i++
    let raw = s.slice(start, i).trim()
    if (!raw) fail('expected a value')
    if (raw === 'true') return true
    if (raw === 'false') return false
    if (raw === 'null') return null
    if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw)
    // An unencoded '+' in a hand-written URL arrives as a space: `…T00:00:00 00:00`.
    raw = raw.replace(/(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2')
    return raw
  }
  const call = (out: FilterTerm[]) => {
    const name = ident()
    expect('(')
    if (name === 'and') {
      for (;;) {
        call(out)
        ws()
        if (s[i] !== ',') break
        i++
      }
      expect(')')
      return
    }
    if (name === 'or' || name === 'not') fail(`'${name}' is not supported here`)
    if (!FILTER_OPERATORS.has(name)) fail(`unknown operator '${name}'`)
    const field = ident()
    ws()
    let v: FilterValue = null
    if (s[i] === ',') {
      i++
      v = value()
    } else if (name !== 'has') {
      fail("expected ','")
    }
    expect(')')
    out.push({ op: name, field, value: v })
  }
  const terms: FilterTerm[] = []
  if (!s) return terms
  for (;;) {
    call(terms)
    ws()
    if (i >= s.length) break
    if (s[i] !== ',') fail("expected ','")
    i++
  }
  return terms
}

/** A filter datetime literal (ISO string, or epoch seconds) as epoch ms; NaN if invalid. */
export function filterTimeMs(v: FilterValue): number {
  if (typeof v === 'number') return v * 1000
  if (typeof v !== 'string') return NaN
  // Date-only and offset-less values are UTC.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v
  return Date.parse(iso)
}
