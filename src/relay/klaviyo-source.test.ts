import { afterEach, describe, expect, it, vi } from 'vitest'
import { KlaviyoApiError, KlaviyoAuthError, KlaviyoResponseError, UnknownMetricError, UnreachableHostError } from './errors'
import { isTransient } from './poll'
import { createKlaviyoClients, nextPageCursor } from './klaviyo-client'
import { KlaviyoSource, filterTime } from './klaviyo-source'
import { findEmailMetrics } from './metrics'
import { advanceUntil } from '../../test/helpers/fake-time'
import { closedPort, startFakeServer, type FakeServer, type SeenRequest } from '../../test/helpers/http'

let server: FakeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const fastRetry = { networkAttempts: 2, networkBaseDelayMs: 10, httpAttempts: 4, maxIntervalSeconds: 1 }

function eventsPage(base: string, ids: string[], next?: string) {
  return {
    data: ids.map((id) => ({
      type: 'event',
      id,
      attributes: { timestamp: 1767225600, datetime: '2026-01-01T00:00:00+00:00', event_properties: { $message: 'M', Subject: 'S' } },
      relationships: { profile: { data: { type: 'profile', id: `P${id}` } } },
      links: { self: `${base}/api/events/${id}` },
    })),
    included: ids.map((id) => ({
      type: 'profile',
      id: `P${id}`,
      attributes: { email: `${id}@example.com`, external_id: id === 'e2' ? 'user-2' : null, properties: { segment_anonymous_id: `bridge-${id}` } },
      links: { self: `${base}/api/profiles/P${id}` },
    })),
    links: { self: `${base}/api/events`, next: next ? `${base}/api/events?page%5Bcursor%5D=${next}&filter=x` : null },
  }
}

const query = (r: SeenRequest) => new URL(r.url, 'http://x').searchParams

describe('KlaviyoSource', () => {
  it('pages through Get Events with metric + window filter, profile include, page size and bare cursors', async () => {
    server = await startFakeServer((r) => {
      const cursor = query(r).get('page[cursor]')
      if (!cursor) return { status: 200, body: eventsPage(server!.url, ['e1', 'e2'], 'CUR2') }
      if (cursor === 'CUR2') return { status: 200, body: eventsPage(server!.url, ['e3']) }
      return { status: 400, body: { errors: [{ detail: `bad cursor ${cursor}` }] } }
    })
    const clients = createKlaviyoClients({ privateKey: 'pk_test', apiBase: server.url, retry: fastRetry })
    const src = new KlaviyoSource(clients.events, clients.apiBase, 1000)
    const start = Date.parse('2026-01-01T00:00:00.700Z')
    const pages = []
    for await (const p of src.pages({ metricId: 'MET1', startMs: start, endMs: start + 3600_000 })) pages.push(p)
    expect(pages.map((p) => p.events.map((e) => e.event.id))).toEqual([['e1', 'e2'], ['e3']])
    const q = query(server.requests[0])
    expect(server.requests[0].url.startsWith('/api/events?')).toBe(true)
    expect(q.get('filter')).toBe('equals(metric_id,"MET1"),greater-or-equal(datetime,2026-01-01T00:00:00Z),less-than(datetime,2026-01-01T01:00:00Z)')
    expect(q.get('include')).toBe('profile')
    expect(q.get('page[size]')).toBe('1000')
    expect(q.get('sort')).toBe('datetime')
    expect(q.get('fields[profile]')).toBe('email,external_id,properties')
    expect(query(server.requests[1]).get('page[cursor]')).toBe('CUR2')
    expect(server.requests[0].headers.authorization).toBe('Klaviyo-API-Key pk_test')
    expect(server.requests[0].headers.revision).toMatch(/^\d{4}-\d{2}-\d{2}/)
    // The document as Klaviyo sent it (checked, not re-shaped by the SDK); we join the profile.
    const first = pages[0].events[1]
    expect(first.profile?.attributes?.external_id).toBe('user-2')
    expect(first.profile?.attributes?.properties).toEqual({ segment_anonymous_id: 'bridge-e2' })
    expect(first.event.attributes?.event_properties).toEqual({ $message: 'M', Subject: 'S' })
    expect(first.event.attributes?.datetime).toBe('2026-01-01T00:00:00+00:00')
  })

  it.each([
    ['a 200 HTML maintenance page', '<!doctype html><html><body>Down for maintenance</body></html>', 'text/html', /not a JSON:API document \(text "<!doctype html>/],
    ['`data` that is not a list', JSON.stringify({ data: 'nope' }), 'application/vnd.api+json', /`data` is not a list \(text "nope"\)/],
    ['`data` of strings', JSON.stringify({ data: ['e1'] }), 'application/vnd.api+json', /`data\[0\]` is not a resource object/],
    ['`links.next` that is not a string', JSON.stringify({ data: [], links: { next: 42 } }), 'application/vnd.api+json', /`links.next` is neither a string nor null/],
    ['`included` that is not a list', JSON.stringify({ data: [], included: {} }), 'application/vnd.api+json', /`included` is not a list/],
  ])('refuses %s answered with 200 (an error, never an empty page)', async (_name, body, type, message) => {
    server = await startFakeServer(() => ({ status: 200, body, headers: { 'content-type': type } }))
    const clients = createKlaviyoClients({ privateKey: 'pk', apiBase: server.url, retry: fastRetry })
    const err = await new KlaviyoSource(clients.events, clients.apiBase).fetchPage({ metricId: 'M', startMs: 0, endMs: 1000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KlaviyoResponseError)
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).toMatch(/cursor stays/)
    expect(isTransient(err)).toBe(true)
  })

  it('retries 429 honouring Retry-After', async () => {
    const arrivedAt: number[] = []
    server = await startFakeServer(() => {
      arrivedAt.push(Date.now())
      return arrivedAt.length === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { errors: [{ detail: 'throttled' }] } } : { status: 200, body: eventsPage(server!.url, ['e1']) }
    })
    const clients = createKlaviyoClients({ privateKey: 'pk', apiBase: server.url, retry: fastRetry })
    // The SDK sleeps its own backoff (0.25–0.75 s at first) and retries once Date.now() is past Retry-After: fake both.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const fetching = new KlaviyoSource(clients.events, clients.apiBase).fetchPage({ metricId: 'M', startMs: 0, endMs: 1000 })
      await advanceUntil(() => server!.requests.length === 2, 100, 5000)
      const page = await fetching
      expect(page.events).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
    expect(server.requests).toHaveLength(2)
    // Stamped on the fake clock, which only moves when the test moves it: the retry came a full Retry-After second later.
    expect(arrivedAt[1] - arrivedAt[0]).toBeGreaterThanOrEqual(1000)
  })

  it('turns 401 and 403 into KlaviyoAuthError, other errors into KlaviyoApiError', async () => {
    let status = 401
    server = await startFakeServer(() => ({ status, body: { errors: [{ detail: 'Incorrect authentication credentials.' }] } }))
    const clients = createKlaviyoClients({ privateKey: 'pk_wrong', apiBase: server.url, retry: fastRetry })
    const src = new KlaviyoSource(clients.events, clients.apiBase)
    const q = { metricId: 'M', startMs: 0, endMs: 1000 }
    await expect(src.fetchPage(q)).rejects.toThrow(KlaviyoAuthError)
    await expect(src.fetchPage(q)).rejects.toThrow(/KLAVIYO_PRIVATE_KEY \(401\): Incorrect authentication/)
    status = 403
    await expect(src.fetchPage(q)).rejects.toThrow(/events:read, metrics:read and profiles:read/)
    status = 400
    await expect(src.fetchPage(q)).rejects.toBeInstanceOf(KlaviyoApiError)
  })

  it('retries network errors, then reports the host as unreachable', async () => {
    const port = await closedPort()
    const clients = createKlaviyoClients({ privateKey: 'pk', apiBase: `http://127.0.0.1:${port}`, retry: fastRetry })
    const err = await new KlaviyoSource(clients.events, clients.apiBase).fetchPage({ metricId: 'M', startMs: 0, endMs: 1 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnreachableHostError)
    expect((err as Error).message).toMatch(/Cannot reach Klaviyo at http:\/\/127\.0\.0\.1:\d+ \(connection refused\).*KLAVIYO_API_BASE/)
  })
})

describe('findEmailMetrics', () => {
  it('lists Klaviyo metrics across pages and keeps those in the contract table', async () => {
    server = await startFakeServer((r) => {
      const cursor = query(r).get('page[cursor]')
      const m = (id: string, name: string) => ({ type: 'metric', id, attributes: { name, integration: { name: 'Klaviyo' } }, links: { self: 'x' } })
      if (!cursor) return { status: 200, body: { data: [m('A', 'Received Email'), m('B', 'Placed Order'), m('C', 'Opened Email')], links: { self: 'x', next: `${server!.url}/api/metrics?page%5Bcursor%5D=P2` } } }
      // The account has both unsubscribe metrics: only the newer one is polled (one unsubscribe, one event).
      return { status: 200, body: { data: [m('U', 'Unsubscribed'), m('D', 'Unsubscribed from Email Marketing'), m('E', 'Dropped Email')], links: { self: 'x' } } }
    })
    const clients = createKlaviyoClients({ privateKey: 'pk', apiBase: server.url, retry: fastRetry })
    const metrics = await findEmailMetrics(clients.metrics, clients.apiBase)
    expect(metrics).toEqual([
      { id: 'A', name: 'Received Email', segmentEvent: 'Email Delivered' },
      { id: 'C', name: 'Opened Email', segmentEvent: 'Email Opened' },
      { id: 'D', name: 'Unsubscribed from Email Marketing', segmentEvent: 'Unsubscribed' },
    ])
    expect(query(server.requests[0]).get('filter')).toBe('equals(integration.name,"Klaviyo")')
  })

  it('throws UnknownMetricError when the account has none of them', async () => {
    server = await startFakeServer(() => ({ status: 200, body: { data: [{ type: 'metric', id: 'B', attributes: { name: 'Placed Order' }, links: { self: 'x' } }], links: { self: 'x' } } }))
    const clients = createKlaviyoClients({ privateKey: 'pk', apiBase: server.url, retry: fastRetry })
    await expect(findEmailMetrics(clients.metrics, clients.apiBase)).rejects.toThrow(UnknownMetricError)
    await expect(findEmailMetrics(clients.metrics, clients.apiBase)).rejects.toThrow(/Placed Order/)
  })
})

describe('helpers', () => {
  it('extracts page[cursor] from http and https next links', () => {
    expect(nextPageCursor('http://127.0.0.1:1/api/events?page%5Bcursor%5D=abc%3D&x=1')).toBe('abc=')
    expect(nextPageCursor('https://a.klaviyo.com/api/events/?page[cursor]=bmV4dA')).toBe('bmV4dA')
    expect(nextPageCursor(null)).toBeUndefined()
    expect(nextPageCursor('not a url')).toBeUndefined()
  })
  it('formats filter times to the second', () => {
    expect(filterTime(Date.parse('2026-05-06T07:08:09.999Z'))).toBe('2026-05-06T07:08:09Z')
  })
})
