import { afterEach, describe, expect, it } from 'vitest'
import { startFakeServer, type FakeServer } from '../../test/helpers/http'
import { createSegmentDelivery, segmentHost, SegmentDeliveryFailed } from './segment-delivery'
import type { SegmentTrackMessage } from '../shared/segment-message'

let server: FakeServer | undefined
afterEach(() => server?.close())

const message = (i: number, pad = 0): SegmentTrackMessage => ({ type: 'track', event: 'Email Opened', anonymousId: 'a', messageId: `m${i}`, timestamp: '2026-01-01T00:00:00.000Z', properties: { pad: 'x'.repeat(pad) }, context: { library: { name: 'mailstitch-relay', version: '0' } } })

describe('createSegmentDelivery', () => {
  it('posts /v1/batch with Basic auth, at most 500 events and 475 KB a request', async () => {
    server = await startFakeServer(() => ({ status: 200, body: { success: true } }))
    const deliver = createSegmentDelivery({ writeKey: 'wk_1', host: server.url })
    await deliver([...Array.from({ length: 1001 }, (_, i) => message(i)), ...Array.from({ length: 30 }, (_, i) => message(2000 + i, 20_000))])
    const sizes = server.requests.map((r) => (JSON.parse(r.body) as { batch: unknown[] }).batch.length)
    expect(sizes.reduce((a, b) => a + b)).toBe(1031)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500)
    expect(Math.max(...server.requests.map((r) => Buffer.byteLength(r.body)))).toBeLessThanOrEqual(500 * 1024)
    expect(server.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('wk_1:').toString('base64')}`)
    expect(server.requests[0].url).toBe('/v1/batch')
  })

  it('retries a 5xx within its budget, then rejects so the webhook answers 503', async () => {
    let n = 0
    server = await startFakeServer(() => (++n < 3 ? { status: 503 } : { status: 200 }))
    await createSegmentDelivery({ writeKey: 'wk', host: server.url, sleep: async () => undefined })([message(1)])
    expect(server.requests.map((r) => r.headers['x-retry-count'])).toEqual([undefined, '1', '2'])

    const down = await startFakeServer(() => ({ status: 500 }))
    let clock = 0
    // Jittered waits of 100–300 ms, then doubling: several attempts fit in 5 s.
    const deliver = createSegmentDelivery({ writeKey: 'wk', host: down.url, budgetMs: 5000, now: () => clock, sleep: async (ms) => void (clock += ms) })
    const err = await deliver([message(1)]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SegmentDeliveryFailed)
    // The last answer is a 500, or a time-out when the budget's last milliseconds ran out mid-request.
    expect((err as SegmentDeliveryFailed).report?.failed).toEqual([{ messageId: 'm1', reason: expect.stringMatching(/Segment answered 500|ETIMEDOUT/), status: (err as SegmentDeliveryFailed).status }])
    expect(down.requests.length).toBeGreaterThan(2)
    await down.close()
  })

  it('honours Retry-After on a 429 and a 503 (one rule), and gives up at once when it lies past the budget', async () => {
    let n = 0
    server = await startFakeServer(() => (++n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : n === 2 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }))
    const waits: number[] = []
    let clock = 0
    await createSegmentDelivery({ writeKey: 'wk', host: server.url, now: () => clock, sleep: async (ms) => void (waits.push(ms), (clock += ms)) })([message(1)])
    expect(waits).toEqual([2000, 1000])

    const late = await startFakeServer(() => ({ status: 429, headers: { 'retry-after': '60' } }))
    await expect(createSegmentDelivery({ writeKey: 'wk', host: late.url, budgetMs: 10_000, sleep: async () => undefined })([message(1)])).rejects.toMatchObject({ status: 429 })
    expect(late.requests).toHaveLength(1)
    await late.close()
  })

  it('never retries a 400: the one event Segment refuses is isolated and reported, the rest delivered', async () => {
    server = await startFakeServer((r) => (r.body.includes('"m2"') ? { status: 400, body: { success: false, message: 'bad' } } : { status: 200 }))
    const report = await createSegmentDelivery({ writeKey: 'wk', host: server.url })([message(1), message(2), message(3)])
    expect(report).toMatchObject({ accepted: expect.arrayContaining(['m1', 'm3']), refused: [{ messageId: 'm2', reason: 'Segment answered 400: bad', status: 400 }], failed: [] })
    // [1,2,3] → [1,2] + [3] → [1] + [2]: each request once, the refused event alone last.
    expect(server.requests).toHaveLength(5)
  })

  it('fits an event over 32 KB (a CJK subject is 3 bytes a character) instead of sending it to be refused', async () => {
    server = await startFakeServer(() => ({ status: 200 }))
    const cjk = '件名'.repeat(8_000)
    const long: SegmentTrackMessage = { ...message(1), properties: { email_subject: cjk, link_url: `https://shop.example/${'a'.repeat(8_000)}` } }
    const report = await createSegmentDelivery({ writeKey: 'wk', host: server.url })([long])
    expect(report).toMatchObject({ accepted: ['m1'], truncated: ['m1'], refused: [] })
    const sent = (JSON.parse(server.requests[0].body) as { batch: Array<{ properties: Record<string, unknown> }> }).batch[0]
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThanOrEqual(32_000)
    expect(sent.properties.truncated).toBe(true)
    expect(cjk.startsWith(sent.properties.email_subject as string)).toBe(true)
  })

  it('refuses, unsent, an event that cannot be fitted (its size is not in text properties)', async () => {
    server = await startFakeServer(() => ({ status: 200 }))
    const big = { ...message(1), context: { library: { name: 'x', version: '0' }, traits: { email: 'a'.repeat(40_000) } } }
    const report = await createSegmentDelivery({ writeKey: 'wk', host: server.url })([big, message(2)])
    expect(report).toMatchObject({ accepted: ['m2'], refused: [{ messageId: 'm1', reason: expect.stringContaining('32 KB') }] })
    expect(server.requests).toHaveLength(1)
  })

  it('picks the EU endpoint for SEGMENT_REGION=eu unless a host is given', () => {
    expect(segmentHost(undefined, 'eu')).toBe('https://events.eu1.segmentapis.com')
    expect(segmentHost(undefined, undefined)).toBe('https://api.segment.io')
    expect(segmentHost('https://proxy.example/', 'eu')).toBe('https://proxy.example')
  })
})
