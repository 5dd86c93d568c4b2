/** Bridge tokens are Segment anonymousIds (UUIDs) or ids a site chose: a strict, short alphabet. */
export const TOKEN = /^[A-Za-z0-9._:-]{8,128}$/

/**
 * Query parameter `name` in the URL or search string `s`: its values, decoded as browsers do
 * (leniently: an undecodable value stays partly encoded, which TOKEN then refuses), and `s`
 * without it, other parameters keeping their order and encoding (`s` itself when absent).
 * The hash is left alone, also a hash with its own query (hash routers: `#/route?mst=…`).
 */
export function scan(s: string, name: string): [string[], string] {
  const h = (s + '#').indexOf('#')
  const q = s.indexOf('?')
  if (q < 0 || q > h) return [[], s]
  const query = s.slice(q + 1, h)
  const values = new URLSearchParams(query).getAll(name)
  const kept = query.split('&').filter((x) => !new URLSearchParams(x).has(name))
  return [values, values.length ? s.slice(0, q) + (kept.length ? '?' + kept.join('&') : '') + s.slice(h) : s]
}
