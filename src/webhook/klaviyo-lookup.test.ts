import { describe, expect, it, vi } from 'vitest'
import { useFakeTime } from '../../test/helpers/fake-time'
import { KlaviyoLookup, KlaviyoLookupError } from './klaviyo-lookup'

/** A fake Get Profiles endpoint answering from a table, recording each call's URL. */
function fakeKlaviyo(profiles: Record<string, Record<string, unknown>>, reply?: (url: URL, n: number) => Response | undefined) {
  const calls: URL[] = []
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input))
    calls.push(url)
    expect(new Headers(init?.headers).get('authorization')).toBe('Klaviyo-API-Key pk_x')
    expect(new Headers(init?.headers).get('revision')).toBe('2026-07-15')
    const custom = reply?.(url, calls.length)
    if (custom) return custom
    const ids = JSON.parse((/^any\(id,(\[.*\])\)$/.exec(url.searchParams.get('filter') ?? '') ?? [, '[]'])[1]!) as string[]
    const data = ids.filter((id) => profiles[id]).map((id) => ({ type: 'profile', id, attributes: profiles[id] }))
    return Response.json({ data, links: { next: null } })
  }) as typeof fetch
  return { calls, fetchFn }
}

const table = Object.fromEntries(Array.from({ length: 300 }, (_, j) => [`P${j}`, { email: `p${j}@example.com`, properties: { segment_anonymous_id: `b${j}` } }]))

useFakeTime('2026-04-14T00:00:00Z')

describe('KlaviyoLookup.profiles', () => {
  it('batches 100 ids per Get Profiles call, with the sparse fields the mapper reads', async () => {
    const { calls, fetchFn } = fakeKlaviyo(table)
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn })
    const ids = Array.from({ length: 250 }, (_, j) => `P${j}`)
    const found = await lookup.profiles([...ids, ...ids], Date.now() + 10_000)
    expect(calls).toHaveLength(3)
    expect(calls[0].searchParams.get('page[size]')).toBe('100')
    expect(calls[0].searchParams.get('fields[profile]')).toBe('email,external_id,properties')
    expect(found.size).toBe(250)
    expect(found.get('P7')).toMatchObject({ id: 'P7', attributes: { email: 'p7@example.com' } })
  })

  it('caches what it found, and what Klaviyo does not know, until the TTL passes', async () => {
    const { calls, fetchFn } = fakeKlaviyo(table)
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn, cacheTtlMs: 60_000 })
    const far = Date.now() + 10_000
    const a = await lookup.profiles(['P1', 'NOPE'], far)
    expect(calls).toHaveLength(1)
    expect(a.get('NOPE')).toBeNull()
    expect(a.get('P1')?.id).toBe('P1')
    await lookup.profiles(['P1', 'NOPE'], far)
    expect(calls).toHaveLength(1)
    vi.advanceTimersByTime(61_000)
    await lookup.profiles(['P1'], Date.now() + 10_000)
    expect(calls).toHaveLength(2)
  })

  it("waits out a 429's Retry-After when the deadline allows, and fails fast when it does not", async () => {
    const { calls, fetchFn } = fakeKlaviyo(table, (_u, n) => (n === 1 ? new Response('{}', { status: 429, headers: { 'retry-after': '2' } }) : undefined))
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn })
    const p = lookup.profiles(['P1'], Date.now() + 10_000)
    await vi.advanceTimersByTimeAsync(2000)
    expect((await p).get('P1')?.id).toBe('P1')
    expect(calls).toHaveLength(2)

    const slow = fakeKlaviyo(table, () => new Response('{}', { status: 429, headers: { 'retry-after': '60' } }))
    const strict = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: slow.fetchFn })
    await expect(strict.profiles(['P1'], Date.now() + 10_000)).rejects.toBeInstanceOf(KlaviyoLookupError)
    expect(slow.calls).toHaveLength(1)
  })

  it.each([
    ['an HTML page', () => new Response('<!DOCTYPE html><p>maintenance</p>', { status: 200, headers: { 'content-type': 'text/html' } }), /not a JSON:API document/],
    ['`data` that is not a list', () => Response.json({ data: 'nope' }), /`data` is not a list/],
    ['a `links.next` that is not a URL', () => Response.json({ data: [], links: { next: 7 } }), /`links.next`/],
  ])('a 200 with %s is an error (tried again while time allows), never "no such profile"', async (_name, answer, problem) => {
    let broken = true
    const { calls, fetchFn } = fakeKlaviyo(table, () => (broken ? answer() : undefined))
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn, sleep: async () => undefined })
    const err = await lookup.profiles(['P1'], Date.now() + 10_000).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KlaviyoLookupError)
    expect((err as Error).message).toMatch(problem)
    expect(calls).toHaveLength(5)
    // Nothing was cached as "no profile": once Klaviyo answers properly, the same look-up finds it.
    broken = false
    expect((await lookup.profiles(['P1'], Date.now() + 10_000)).get('P1')).toMatchObject({ id: 'P1' })
    expect(calls).toHaveLength(6)
  })

  it('does not retry a refused key (401), and says so', async () => {
    const { calls, fetchFn } = fakeKlaviyo(table, () => new Response('{}', { status: 401 }))
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn })
    await expect(lookup.profiles(['P1'], Date.now() + 10_000)).rejects.toMatchObject({ status: 401 })
    expect(calls).toHaveLength(1)
  })

  it('stays inside its own rate budget: past it a delivery fails rather than waiting a minute', async () => {
    const { calls, fetchFn } = fakeKlaviyo(table)
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn, cacheTtlMs: 0, profilesRate: [{ limit: 2, windowMs: 60_000 }] })
    await lookup.profiles(['P1'], Date.now() + 5000)
    await lookup.profiles(['P2'], Date.now() + 5000)
    await expect(lookup.profiles(['P3'], Date.now() + 5000)).rejects.toMatchObject({ status: 429 })
    expect(calls).toHaveLength(2)
  })
})

describe('KlaviyoLookup.profileByEmail', () => {
  /** Answers `equals(email,"…")` from the same table, in Get Profiles' list shape. */
  const byEmail = (url: URL) => {
    const m = /^equals\(email,"(.*)"\)$/.exec(url.searchParams.get('filter') ?? '')
    if (!m) return undefined
    const data = Object.entries(table)
      .filter(([, attributes]) => attributes.email === m[1])
      .map(([id, attributes]) => ({ type: 'profile', id, attributes }))
    return Response.json({ data, links: { self: url.toString(), next: null, prev: null } })
  }

  it('asks Get Profiles with equals(email,"…") lower-cased, with the sparse fields, and caches found and not found', async () => {
    const { calls, fetchFn } = fakeKlaviyo(table, byEmail)
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn, cacheTtlMs: 60_000 })
    const far = Date.now() + 10_000
    expect(await lookup.profileByEmail(' P7@Example.com ', far)).toMatchObject({ id: 'P7', attributes: { properties: { segment_anonymous_id: 'b7' } } })
    expect(calls[0].pathname).toBe('/api/profiles')
    expect(calls[0].searchParams.get('filter')).toBe('equals(email,"p7@example.com")')
    expect(calls[0].searchParams.get('fields[profile]')).toBe('email,external_id,properties')
    expect(await lookup.profileByEmail('nobody@example.com', far)).toBeNull()
    expect(await lookup.profileByEmail('p7@example.com', far)).toMatchObject({ id: 'P7' })
    expect(await lookup.profileByEmail('nobody@example.com', far)).toBeNull()
    expect(calls).toHaveLength(2)
    // The profile found by email also serves a later look-up by id (a Klaviyo webhook for it).
    expect((await lookup.profiles(['P7'], far)).get('P7')).toMatchObject({ id: 'P7' })
    expect(calls).toHaveLength(2)
    vi.advanceTimersByTime(61_000)
    await lookup.profileByEmail('p7@example.com', Date.now() + 10_000)
    expect(calls).toHaveLength(3)
  })

  it('shares the Get Profiles budget with the look-ups by id: past it, it fails (status 429) instead of waiting', async () => {
    const { calls, fetchFn } = fakeKlaviyo(table, byEmail)
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn, cacheTtlMs: 0, profilesRate: [{ limit: 2, windowMs: 60_000 }] })
    await lookup.profiles(['P1'], Date.now() + 5000)
    await lookup.profileByEmail('p2@example.com', Date.now() + 5000)
    await expect(lookup.profileByEmail('p3@example.com', Date.now() + 5000)).rejects.toMatchObject({ name: 'KlaviyoLookupError', status: 429 })
    await expect(lookup.profiles(['P4'], Date.now() + 5000)).rejects.toMatchObject({ status: 429 })
    expect(calls).toHaveLength(2)
  })

  it('rejects on a Klaviyo error or an answer without a data list; never puts a quote into the filter', async () => {
    const failing = fakeKlaviyo(table, () => new Response('{}', { status: 500 }))
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: failing.fetchFn, sleep: async () => undefined })
    await expect(lookup.profileByEmail('p1@example.com', Date.now() + 5000)).rejects.toMatchObject({ status: 500 })
    const html = fakeKlaviyo(table, () => new Response('{"data": {"id": "P1"}}', { status: 200 }))
    const odd = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: html.fetchFn, sleep: async () => undefined })
    await expect(odd.profileByEmail('p1@example.com', Date.now() + 5000)).rejects.toBeInstanceOf(KlaviyoLookupError)
    expect(await odd.profileByEmail('a"b@example.com', Date.now() + 5000)).toBeNull()
    expect(await odd.profileByEmail('  ', Date.now() + 5000)).toBeNull()
    // A 200 that is not a Get Profiles document is retried like a 5xx (a proxy's page may pass), then rejected.
    expect(html.calls).toHaveLength(5)
  })
})

describe('KlaviyoLookup.metricName', () => {
  it("reads a metric's own name once and keeps it", async () => {
    let n = 0
    const fetchFn = (async (input: RequestInfo | URL) => {
      n++
      expect(String(input)).toBe('https://k.test/api/metrics/M1?fields[metric]=name')
      return Response.json({ data: { type: 'metric', id: 'M1', attributes: { name: 'Opened Email' } } })
    }) as typeof fetch
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn })
    expect(await lookup.metricName('M1', Date.now() + 5000)).toBe('Opened Email')
    expect(await lookup.metricName('M1', Date.now() + 5000)).toBe('Opened Email')
    expect(n).toBe(1)
  })
})

describe('KlaviyoLookup.metricName, failures', () => {
  it('keeps "no such metric" (404): a deleted metric costs one call, not one per delivery; a 401 is tried again', async () => {
    const seen: string[] = []
    const fetchFn = (async (input: RequestInfo | URL) => {
      seen.push(String(input))
      return new Response('{}', { status: String(input).includes('GONE') ? 404 : 401 })
    }) as typeof fetch
    const lookup = new KlaviyoLookup({ privateKey: 'pk_x', apiBase: 'https://k.test', fetch: fetchFn, sleep: async () => undefined })
    expect(await lookup.metricName('GONE', Date.now() + 5000)).toBeUndefined()
    expect(await lookup.metricName('GONE', Date.now() + 5000)).toBeUndefined()
    expect(seen.filter((u) => u.includes('GONE'))).toHaveLength(1)
    expect(await lookup.metricName('M3', Date.now() + 5000)).toBeUndefined()
    expect(await lookup.metricName('M3', Date.now() + 5000)).toBeUndefined()
    expect(seen.filter((u) => u.includes('M3'))).toHaveLength(2)
  })
})
