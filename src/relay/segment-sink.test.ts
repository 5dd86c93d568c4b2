import { afterEach, describe, expect, it, vi } from 'vitest'
import { SegmentAuthError, UnreachableHostError } from './errors'
import type { RelayTrackMessage } from '../shared/klaviyo-map'
import { SegmentSink, deliveryError } from './segment-sink'
import { sleep } from '../webhook/retry'
import { advanceUntil } from '../../test/helpers/fake-time'
import { closedPort, startFakeServer, type FakeServer } from '../../test/helpers/http'

// The real abortable sleep, watched: a test can read the delays the sender asked for.
vi.mock('../webhook/retry', async (importOriginal) => {
  const real = await importOriginal<typeof import('../webhook/retry')>()
  return { ...real, sleep: vi.fn(real.sleep) }
})

const msg = (i: number, over: Partial<RelayTrackMessage> = {}): RelayTrackMessage => ({
  type: 'track',
  event: 'Email Opened',
  anonymousId: `anon-${i}`,
  messageId: `klaviyo-ev${i}`,
  timestamp: '2026-01-01T00:00:00.000Z',
  properties: { provider: 'Klaviyo', email_id: 'm1' },
  context: { traits: { email: `u${i}@example.com` }, library: { name: 'mailstitch-relay', version: '0.1.0' } },
  integrations: { Klaviyo: false },
  ...over,
})

let server: FakeServer | undefined
let sink: SegmentSink | undefined
afterEach(async () => {
  await sink?.close()
  await server?.close()
  sink = server = undefined
})

const batchesOf = (s: FakeServer) => s.requests.map((r) => JSON.parse(r.body) as { batch: Array<Record<string, unknown>> })

describe('SegmentSink', () => {
  it('posts to <host>/v1/batch with the write key and reports every accepted messageId', async () => {
    server = await startFakeServer(() => ({ status: 200, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk_test', host: server.url, maxEvents: 3 })
    const messages = Array.from({ length: 7 }, (_, i) => msg(i))
    const res = await sink.send(messages)
    expect([...res.accepted].sort()).toEqual(messages.map((m) => m.messageId).sort())
    expect(res.failed).toEqual([])
    expect(server.requests.every((r) => r.url === '/v1/batch' && r.method === 'POST')).toBe(true)
    expect(server.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('wk_test:').toString('base64')}`)
    const sent = batchesOf(server).flatMap((b) => b.batch)
    expect(sent).toHaveLength(7)
    expect(batchesOf(server).every((b) => b.batch.length <= 3)).toBe(true)
    expect(JSON.parse(server.requests[0].body).sentAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    const first = sent.find((e) => e.messageId === 'klaviyo-ev0')!
    expect(first).toEqual({
      type: 'track',
      event: 'Email Opened',
      anonymousId: 'anon-0',
      timestamp: '2026-01-01T00:00:00.000Z',
      properties: { provider: 'Klaviyo', email_id: 'm1' },
      messageId: 'klaviyo-ev0',
      context: { traits: { email: 'u0@example.com' }, library: { name: 'mailstitch-relay', version: '0.1.0' } },
      integrations: { Klaviyo: false },
    })
  })

  it('sends userId-only messages', async () => {
    server = await startFakeServer(() => ({ status: 200, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk', host: server.url })
    const res = await sink.send([msg(1, { anonymousId: undefined, userId: 'user-1' })])
    expect(res.accepted.has('klaviyo-ev1')).toBe(true)
    const e = batchesOf(server)[0].batch[0]
    expect(e.userId).toBe('user-1')
    expect(e).not.toHaveProperty('anonymousId')
  })

  it('retries 5xx with backoff until Segment accepts', async () => {
    let n = 0
    server = await startFakeServer(() => (++n <= 2 ? { status: 503, body: {} } : { status: 200, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk', host: server.url, baseDelayMs: 50 })
    const res = await sink.send([msg(1), msg(2)])
    expect(res.accepted.size).toBe(2)
    expect(server.requests.length).toBe(3)
    expect(server.requests[2].headers['x-retry-count']).toBe('2')
    expect(server.requests.map((r) => r.body.replace(/"sentAt":"[^"]+"/, ''))).toEqual(Array(3).fill(server.requests[0].body.replace(/"sentAt":"[^"]+"/, '')))
  })

  it('never retries a 400: it isolates the event Segment refuses and delivers the rest', async () => {
    server = await startFakeServer((req) => (req.body.includes('"klaviyo-ev3"') ? { status: 400, body: { success: false, message: 'bad event' } } : { status: 200, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk', host: server.url, baseDelayMs: 10 })
    const res = await sink.send(Array.from({ length: 8 }, (_, i) => msg(i)))
    expect([...res.accepted].sort()).toEqual([0, 1, 2, 4, 5, 6, 7].map((i) => `klaviyo-ev${i}`))
    expect(res.refused).toEqual([{ messageId: 'klaviyo-ev3', reason: 'Segment answered 400: bad event', status: 400 }])
    expect(res.failed).toEqual([])
    // Halves of halves: 8 → 4 → 2 → 1, never the same request twice.
    const bodies = server.requests.map((r) => r.body.replace(/"sentAt":"[^"]+"/, ''))
    expect(new Set(bodies).size).toBe(bodies.length)
    expect(server.requests.filter((r) => r.body.includes('"klaviyo-ev3"'))).toHaveLength(4)
  })

  it('keeps each request under 500 KB and fits each event under 32 KB, cutting its long text on a character boundary', async () => {
    server = await startFakeServer(() => ({ status: 200, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk', host: server.url })
    const fat = Array.from({ length: 120 }, (_, i) => msg(i, { properties: { provider: 'Klaviyo', email_subject: 'x'.repeat(8000) } }))
    // 8,192 characters of CJK is 24 KB of UTF-8: two such fields are over Segment's 32 KB.
    const cjk = '春のセール開催中'.repeat(1024)
    const huge = msg(999, { properties: { provider: 'Klaviyo', email_subject: cjk, campaign_name: cjk } })
    const res = await sink.send([...fat, huge])
    expect(res.accepted.size).toBe(121)
    expect(res.failed).toEqual([])
    expect(res.truncated).toEqual(['klaviyo-ev999'])
    expect(server.requests.length).toBeGreaterThan(1)
    for (const r of server.requests) expect(Buffer.byteLength(r.body)).toBeLessThan(500 * 1024)
    const sent = batchesOf(server).flatMap((b) => b.batch).find((e) => e.messageId === 'klaviyo-ev999')!
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThanOrEqual(32 * 1024)
    const props = sent.properties as Record<string, string | boolean>
    expect(props.truncated).toBe(true)
    expect(cjk.startsWith(props.email_subject as string) && cjk.startsWith(props.campaign_name as string)).toBe(true)
    expect(props.provider).toBe('Klaviyo')
  })

  it('honours 429 Retry-After', async () => {
    const arrivedAt: number[] = []
    server = await startFakeServer(() => {
      arrivedAt.push(Date.now())
      return arrivedAt.length === 1 ? { status: 429, body: {}, headers: { 'retry-after': '1' } } : { status: 200, body: {} }
    })
    sink = new SegmentSink({ writeKey: 'wk', host: server.url })
    vi.mocked(sleep).mockClear()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const sending = sink.send([msg(1)])
      await advanceUntil(() => server!.requests.length === 2, 100, 5000)
      const res = await sending
      expect(res.accepted.size).toBe(1)
    } finally {
      vi.useRealTimers()
    }
    // The first backoff alone would be 250–750 ms (500 ms ±50 %); Retry-After: 1 makes it exactly 1 s.
    expect(vi.mocked(sleep).mock.calls.map(([ms]) => ms)).toEqual([1000])
    // The server saw it too, on the (fake) clock: the retry came a full Retry-After second later.
    expect(arrivedAt[1] - arrivedAt[0]).toBeGreaterThanOrEqual(1000)
  })

  it('reports failures once bounded retries are exhausted', async () => {
    server = await startFakeServer(() => ({ status: 500, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk', host: server.url, maxRetries: 1, baseDelayMs: 10 })
    const res = await sink.send([msg(1)])
    expect(res.accepted.size).toBe(0)
    expect(res.failed).toEqual([{ messageId: 'klaviyo-ev1', reason: expect.stringContaining('500'), status: 500 }])
  })

  it('raises SegmentAuthError on 401', async () => {
    server = await startFakeServer(() => ({ status: 401, body: {} }))
    sink = new SegmentSink({ writeKey: 'bad', host: server.url })
    await expect(sink.send([msg(1)])).rejects.toBeInstanceOf(SegmentAuthError)
  })

  it('reports network failures when the host is unreachable', async () => {
    const port = await closedPort()
    sink = new SegmentSink({ writeKey: 'wk', host: `http://127.0.0.1:${port}`, maxRetries: 1, baseDelayMs: 10 })
    const res = await sink.send([msg(1)])
    expect(res.failed).toEqual([{ messageId: 'klaviyo-ev1', reason: 'Segment unreachable: ECONNREFUSED' }])
    expect(deliveryError(res, sink.host)).toBeInstanceOf(UnreachableHostError)
  })

  it('settles duplicate messageIds sent concurrently', async () => {
    server = await startFakeServer(() => ({ status: 200, body: {} }))
    sink = new SegmentSink({ writeKey: 'wk', host: server.url })
    const [a, b] = await Promise.all([sink.send([msg(1)]), sink.send([msg(1)])])
    expect(a.accepted.has('klaviyo-ev1') && b.accepted.has('klaviyo-ev1')).toBe(true)
  })
})
