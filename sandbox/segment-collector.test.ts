import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import http from 'node:http'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { Analytics } from '@segment/analytics-node'
import { advanceUntil } from '../test/helpers/fake-time'
import { startSegmentCollector, type SegmentCollector } from './segment-collector'

const WRITE_KEY = 'wk_test'
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`

let collector: SegmentCollector
let tmp: string

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'collector-'))
  collector = await startSegmentCollector({ writeKeys: [WRITE_KEY], jsonlPath: path.join(tmp, 'events.jsonl') })
})
afterAll(async () => {
  await collector.close()
  rmSync(tmp, { recursive: true, force: true })
})
afterEach(() => collector.reset())

/** An event the way analytics-next's segmentio plugin builds it (standard dispatcher). */
function browserEvent(type: string, extra: Record<string, unknown> = {}) {
  return {
    type,
    anonymousId: '7a1c9a4e-0a8b-4c43-9b5e-1f8c1d6f2b11',
    userId: null,
    context: {
      page: { path: '/', referrer: '', search: '', title: 'Store', url: 'http://127.0.0.1:5173/' },
      userAgent: 'Mozilla/5.0',
      locale: 'en-US',
      library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
    },
    integrations: {},
    messageId: `ajs-next-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    timestamp: new Date().toISOString(),
    sentAt: new Date().toISOString(),
    writeKey: WRITE_KEY,
    _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
    ...extra,
  }
}

/** POST like analytics-next's fetch dispatcher: text/plain JSON with Basic auth. */
function postBrowser(pathname: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(collector.url + pathname, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Authorization: basic(WRITE_KEY), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** GET with an explicit Host header (fetch does not allow setting it). */
function getWithHost(pathname: string, host: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: collector.port, path: pathname, headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('tracking API (analytics-next shapes)', () => {
  it('accepts single events on the one-letter paths and records them with receivedAt', async () => {
    const res = await postBrowser('/v1/t', browserEvent('track', { event: 'Email Captured', properties: { source: 'footer' } }))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ success: true })
    const res2 = await postBrowser('/v1/i', browserEvent('identify', { traits: { email: 'ada@example.com' } }))
    expect(res2.status).toBe(200)
    const [track, identify] = collector.events()
    expect(track).toMatchObject({ type: 'track', event: 'Email Captured', properties: { source: 'footer' } })
    expect(Date.parse(track.receivedAt)).toBeGreaterThan(0)
    expect(identify).toMatchObject({ type: 'identify', traits: { email: 'ada@example.com' } })
    expect(collector.requestLog()[0]).toMatchObject({ path: '/v1/t', status: 200, writeKey: WRITE_KEY, contentType: 'text/plain' })
  })

  it('accepts the batching dispatcher body and the write key from the body alone', async () => {
    const batch = [browserEvent('page', { name: 'Home' }), browserEvent('track', { event: 'Viewed' })].map(({ sentAt: _s, ...e }) => e)
    const res = await fetch(collector.url + '/v1/b', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ writeKey: WRITE_KEY, batch, sentAt: new Date().toISOString() }) })
    expect(res.status).toBe(200)
    expect(collector.events().map((e) => e.type)).toEqual(['page', 'track'])
    // The batch-level sentAt is applied to each event, as Segment does for clock-skew correction.
    expect(collector.events()[0].sentAt).toBeTypeOf('string')
  })

  it('dedupes by messageId and drops events without userId/anonymousId (200 either way)', async () => {
    const ev = browserEvent('track', { event: 'Once' })
    await postBrowser('/v1/t', ev)
    const again = await postBrowser('/v1/t', { ...ev, properties: { changed: true } })
    expect(again.status).toBe(200)
    const res = await postBrowser('/v1/b', { batch: [{ ...browserEvent('track', { event: 'Anon-less' }), anonymousId: null }, ev, browserEvent('track')] })
    expect(res.status).toBe(200)
    expect(collector.events().map((e) => e.event)).toEqual(['Once'])
    expect(collector.duplicates()).toBe(2)
    expect(collector.rejected().map((r) => r.reason)).toEqual(['missing_user_id_and_anonymous_id', 'track_missing_event_name'])
  })

  it('answers missing or unknown write keys 200 {"success":true}, as Segment does, and drops their events', async () => {
    const none = await fetch(collector.url + '/v1/t', { method: 'POST', body: JSON.stringify({ ...browserEvent('track', { event: 'x' }), writeKey: undefined }) })
    expect(none.status).toBe(200)
    expect(await none.json()).toEqual({ success: true })
    const wrong = await postBrowser('/v1/t', browserEvent('track', { event: 'x' }), { Authorization: basic('nope') })
    expect(wrong.status).toBe(200)
    expect(collector.events()).toHaveLength(0)
    expect(collector.rejected().map((r) => r.reason)).toEqual(['missing_write_key', 'unknown_write_key'])
    expect(collector.requests()).toBe(2)
  })

  it('answers 400 for invalid JSON and for a 10 MB body without falling over', async () => {
    const bad = await postBrowser('/v1/t', '{"type":"track",')
    expect(bad.status).toBe(400)
    const huge = await postBrowser('/v1/b', JSON.stringify({ batch: [{ type: 'track', event: 'big', anonymousId: 'a', properties: { blob: 'x'.repeat(10 * 1024 * 1024) } }] }))
    expect(huge.status).toBe(400)
    // Still serving.
    expect((await postBrowser('/v1/t', browserEvent('track', { event: 'after' }))).status).toBe(200)
  })

  it('survives malformed input of every kind', async () => {
    expect((await postBrowser('/v1/t', 'null')).status).toBe(400)
    expect((await postBrowser('/v1/t', '[1,2]')).status).toBe(400)
    expect((await postBrowser('/v1/batch', { batch: 'nope' })).status).toBe(400)
    expect((await postBrowser('/v1/batch', { batch: [1, null, { type: 'bogus', anonymousId: 'a' }] })).status).toBe(200)
    expect(collector.rejected().map((r) => r.reason)).toEqual(['event_not_an_object', 'event_not_an_object', 'invalid_type'])
    expect((await fetch(`${collector.url}/v1/projects/%E0%A4%A/settings`)).status).toBe(404)
    expect((await postBrowser('/v1/t', '\u0000\xff garbage')).status).toBe(400)
    expect((await postBrowser('/v1/t', browserEvent('track', { event: 'still ok' }))).status).toBe(200)
  })

  it('refuses wrong methods and unknown paths', async () => {
    expect((await fetch(collector.url + '/v1/t')).status).toBe(405)
    expect((await fetch(collector.url + '/v2/nothing', { method: 'POST', body: '{}' })).status).toBe(404)
  })

  it('answers CORS preflights and reflects the origin', async () => {
    const pre = await fetch(collector.url + '/v1/t', {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true')
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    const post = await postBrowser('/v1/t', browserEvent('track', { event: 'x' }), { Origin: 'http://127.0.0.1:9' })
    expect(post.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9')
  })

  it('injects faults with Retry-After, then recovers', async () => {
    collector.setFault({ status: 429, count: 1, retryAfter: 2 })
    const limited = await postBrowser('/v1/t', browserEvent('track', { event: 'x' }))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('2')
    expect((await postBrowser('/v1/t', browserEvent('track', { event: 'x' }))).status).toBe(200)
    expect(collector.requests()).toBe(2)
  })

  it('holds every response for the set latency before answering', async () => {
    const waits: number[] = []
    let release = () => {}
    const slow = await startSegmentCollector({ wait: (ms) => new Promise((r) => (waits.push(ms), (release = r))) })
    try {
      slow.setLatency(120)
      let answered = false
      const post = fetch(`${slow.url}/v1/t`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ ...browserEvent('track', { event: 'x' }), writeKey: WRITE_KEY }) }).then((r) => ((answered = true), r))
      await vi.waitFor(() => expect(waits).toEqual([120]))
      expect(answered).toBe(false)
      release()
      expect((await post).status).toBe(200)
      expect(slow.events().map((e) => e.event)).toEqual(['x'])
    } finally {
      await slow.close()
    }
  })

  it('appends accepted events to the JSON-lines file and serves them over /_/', async () => {
    await postBrowser('/v1/p', browserEvent('page', { name: 'Home' }))
    await postBrowser('/v1/t', browserEvent('track', { event: 'A' }))
    const lines = readFileSync(path.join(tmp, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.slice(-2).map((l) => l.type)).toEqual(['page', 'track'])
    const listed = (await (await fetch(collector.url + '/_/events?type=track')).json()) as Array<{ event: string }>
    expect(listed.map((e) => e.event)).toEqual(['A'])
    const jsonl = await (await fetch(collector.url + '/_/events.jsonl')).text()
    expect(jsonl.trim().split('\n')).toHaveLength(2)
    expect((await fetch(collector.url + '/_/reset', { method: 'POST' })).status).toBe(200)
    expect(collector.events()).toHaveLength(0)
  })

  it('waitFor resolves on a later event and rejects on timeout', async () => {
    const waiting = collector.waitFor((e) => e.event === 'Later', 2000)
    await postBrowser('/v1/t', browserEvent('track', { event: 'Later' }))
    expect((await waiting).event).toBe('Later')
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const never = collector.waitFor((e) => e.event === 'Never', 50)
      let settled = false
      const outcome = never.then(() => 'resolved', (err: Error) => err.message).finally(() => (settled = true))
      await vi.advanceTimersByTimeAsync(49)
      expect(settled).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(await outcome).toMatch(/no matching event within 50 ms/)
    } finally {
      vi.useRealTimers()
    }
    const seen: string[] = []
    const off = collector.on('event', (e) => seen.push(String(e.event)))
    await postBrowser('/v1/t', browserEvent('track', { event: 'Heard' }))
    off()
    await postBrowser('/v1/t', browserEvent('track', { event: 'Unheard' }))
    expect(seen).toEqual(['Heard'])
  })
})

describe('tracking API (real @segment/analytics-node)', () => {
  it('receives /v1/batch with Basic auth and application/json', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, flushAt: 2, flushInterval: 50 })
    analytics.identify({ userId: 'u1', traits: { email: 'ada@example.com' } })
    analytics.track({ anonymousId: 'bridge-1234', event: 'Email Opened', properties: { provider: 'Klaviyo' }, messageId: 'klaviyo-abc', timestamp: new Date('2026-07-01T12:00:00Z') })
    await analytics.closeAndFlush({ timeout: 5000 })
    const [identify, track] = collector.events()
    expect(identify).toMatchObject({ type: 'identify', userId: 'u1', traits: { email: 'ada@example.com' } })
    expect(track).toMatchObject({ type: 'track', event: 'Email Opened', anonymousId: 'bridge-1234', messageId: 'klaviyo-abc', timestamp: '2026-07-01T12:00:00.000Z' })
    expect(collector.requestLog()[0]).toMatchObject({ path: '/v1/batch', status: 200, writeKey: WRITE_KEY, contentType: 'application/json' })
  })

  it('gets its events through after an injected 429, honouring Retry-After', async () => {
    collector.setFault({ status: 429, count: 1, retryAfter: 1 })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, flushAt: 1 })
      analytics.track({ userId: 'u2', event: 'Retried', messageId: 'retry-1' })
      await advanceUntil(() => collector.requestLog().some((r) => r.status === 429), 10, 1000)
      await advanceUntil(() => collector.events().length === 1, 100, 5000)
      await analytics.closeAndFlush({ timeout: 8000 })
    } finally {
      vi.useRealTimers()
    }
    expect(collector.events().map((e) => e.event)).toEqual(['Retried'])
    const log = collector.requestLog()
    // The log is stamped with the (fake) clock: the retry came a full Retry-After second later.
    expect(Date.parse(log[1].at) - Date.parse(log[0].at)).toBeGreaterThanOrEqual(1000)
    expect(log.map((r) => r.status)).toEqual([429, 200])
    expect(log[1].retryCount).toBe(1)
  })
})

describe('analytics.js CDN', () => {
  it('serves settings whose apiHost follows the Host header the page used', async () => {
    for (const host of [`localhost:${collector.port}`, `127.0.0.1:${collector.port}`]) {
      const res = await getWithHost(`/v1/projects/${WRITE_KEY}/settings`, host)
      expect(res.status).toBe(200)
      const settings = JSON.parse(res.body)
      expect(settings.integrations['Segment.io']).toMatchObject({ apiKey: WRITE_KEY, apiHost: `${host}/v1`, protocol: 'http' })
      expect(settings.metrics).toEqual({ sampleRate: 0 })
    }
    // A proxied request that kept the CDN's host gets the collector's own address.
    const proxied = JSON.parse((await getWithHost(`/v1/projects/${WRITE_KEY}/settings`, 'cdn.segment.com')).body)
    expect(proxied.integrations['Segment.io'].apiHost).toBe(`127.0.0.1:${collector.port}/v1`)
    expect((await fetch(`${collector.url}/v1/projects/unknown/settings`)).status).toBe(404)
  })

  it('serves standalone.js as analytics.min.js and its lazy chunks', async () => {
    const js = await fetch(`${collector.url}/analytics.js/v1/${WRITE_KEY}/analytics.min.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    const text = await js.text()
    expect(text).toContain('/analytics-next/bundles/')
    expect(text.startsWith('/* mailstitch sandbox')).toBe(true)
    const require = createRequire(import.meta.url)
    const umd = path.join(path.dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd')
    const chunk = readdirSync(umd).find((f) => /\.bundle\.[0-9a-f]+\.js$/.test(f))!
    const res = await fetch(`${collector.url}/analytics-next/bundles/${chunk}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect((await res.text()).length).toBe(readFileSync(path.join(umd, chunk)).length)
    expect((await fetch(`${collector.url}/analytics-next/bundles/..%2Fpackage.json`)).status).toBe(404)
    expect((await fetch(`${collector.url}/analytics-next/bundles/nope.js`)).status).toBe(404)
  })
})
