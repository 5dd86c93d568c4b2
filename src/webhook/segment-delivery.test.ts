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
    const deliver = createSegmentDelivery({ writeKey: 'wk', host: down.url, budgetMs: 1000, now: () => clock, sleep: async (ms) => void (clock += ms) })
    await expect(deliver([message(1)])).rejects.toBeInstanceOf(SegmentDeliveryFailed)
    expect(down.requests.length).toBeGreaterThan(1)
    await down.close()
  })

  it('does not retry a 400', async () => {
    server = await startFakeServer(() => ({ status: 400 }))
    await expect(createSegmentDelivery({ writeKey: 'wk', host: server.url })([message(1)])).rejects.toMatchObject({ status: 400 })
    expect(server.requests).toHaveLength(1)
  })

  it('picks the EU endpoint for SEGMENT_REGION=eu unless a host is given', () => {
    expect(segmentHost(undefined, 'eu')).toBe('https://events.eu1.segmentapis.com')
    expect(segmentHost(undefined, undefined)).toBe('https://api.segment.io')
    expect(segmentHost('https://proxy.example/', 'eu')).toBe('https://proxy.example')
  })
})
