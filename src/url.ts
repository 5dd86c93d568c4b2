/** Bridge tokens are Segment anonymousIds (UUIDs) or ids a site chose: a strict, short alphabet. */
export const TOKEN = /^[A-Za-z0-9._:-]{8,128}$/

const decode = (s: string): string | null => { try { return decodeURIComponent(s.replace(/\+/g, ' ')) } catch { return null } }

/** Split a URL or search string into the part before the query, the query pieces and the hash. */
function parts(s: string): [string, string[], string] | null {
  const h = (s + '#').indexOf('#')
  const q = s.indexOf('?')
  // A `?` inside the hash (hash routers: `#/route?mst=…`) is not the query.
  if (q < 0 || q > h) return null
  return [s.slice(0, q), s.slice(q + 1, h).split('&'), s.slice(h)]
}

const isParam = (piece: string, name: string) => decode(piece.split('=')[0]!) === name

/**
 * The values of query parameter `name` in `s` (hash excluded), decoded; `null` for a value
 * that does not decode.
 */
export function paramValues(s: string, name: string): (string | null)[] {
  const p = parts(s)
  return p ? p[1].filter((x) => isParam(x, name)).map((x) => decode(x.slice(x.indexOf('=') + 1 || x.length))) : []
}

/** `s` without every `name=` query parameter; other parameters keep their order and encoding. */
export function stripParam(s: string, name: string): string {
  const p = parts(s)
  if (!p) return s
  const kept = p[1].filter((x) => !isParam(x, name))
  if (kept.length === p[1].length) return s
  return p[0] + (kept.length ? '?' + kept.join('&') : '') + p[2]
}
