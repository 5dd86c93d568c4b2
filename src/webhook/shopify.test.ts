import { afterEach, describe, expect, it, vi } from 'vitest'
import { handleShopifyWebhook, verifyShopifyHmac, type ShopifyWebhookOptions } from './shopify'
import { mapCheckoutCompleted } from '../shared/shopify-order'
import type { SegmentTrackMessage } from '../shared/segment-message'
import { shopifyWebhookRequest, signShopifyWebhook } from '../../sandbox/shopify/order-webhook'
import { EXAMPLE_CUSTOMER_ID, EXAMPLE_ORDER_ID, exampleCheckoutCompleted, exampleOrderWebhookBody } from '../../sandbox/shopify/examples'
import { useSandboxServices } from '../../test/helpers/sandbox-services'

const SECRET = 'shpss_0123456789abcdef0123456789abcdef'
const BRIDGE = '3f1c9a52-7d0e-4b7f-9a51-8c2e0f6d4b11'
const URL = 'https://relay.example/'
const sandbox = useSandboxServices({ segment: { writeKeys: ['wk_test'] } })
afterEach(() => {
  vi.useRealTimers()
})

/** Segment's HTTP API batch call, as the relay makes it: resolves once accepted, rejects otherwise. */
function toSegment(counter = { calls: 0 }) {
  const deliver = async (messages: SegmentTrackMessage[]) => {
    counter.calls++
    const response = await fetch(`${sandbox.segment.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk_test:')}` },
      body: JSON.stringify({ batch: messages }),
    })
    if (!response.ok) throw new Error(`Segment answered ${response.status}`)
  }
  return Object.assign(deliver, { counter })
}

function options(extra: Partial<ShopifyWebhookOptions> = {}): ShopifyWebhookOptions & { lines: string[] } {
  const lines: string[] = []
  return { secrets: [SECRET], log: (line) => lines.push(line), lines, ...extra }
}

describe('handleShopifyWebhook', () => {
  it('delivers the example order with the bridge id as one Order Completed keyed to the visitor', async () => {
    const response = await handleShopifyWebhook(shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE } }), options(), toSegment())
    expect(response.status).toBe(200)
    const event = await sandbox.segment.waitFor((e) => e.event === 'Order Completed')
    expect(event).toMatchObject({
      anonymousId: BRIDGE,
      userId: EXAMPLE_CUSTOMER_ID,
      messageId: `shopify-order-${EXAMPLE_ORDER_ID}`,
      properties: { order_id: EXAMPLE_ORDER_ID, total: 403, currency: 'USD' },
    })
  })

  it('a redelivery and the pixel copy of the same order leave one event in Segment', async () => {
    const first = shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE }, webhookId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' })
    const again = first.clone()
    const deliver = toSegment()
    expect((await handleShopifyWebhook(first, options(), deliver)).status).toBe(200)
    expect((await handleShopifyWebhook(again, options(), deliver)).status).toBe(200)
    const pixel = mapCheckoutCompleted(exampleCheckoutCompleted({ bridgeId: BRIDGE }), { library: { name: 'mailstitch-pixel', version: '0' } })
    if (!pixel.ok) throw new Error('the pixel copy must map')
    await deliver([pixel.message])
    expect(deliver.counter.calls).toBe(3)
    expect(sandbox.segment.duplicates()).toBe(2)
    expect(sandbox.segment.events().filter((e) => e.event === 'Order Completed')).toHaveLength(1)
  })

  it('refuses a forged, missing or wrong-secret HMAC with nothing sent', async () => {
    const deliver = toSegment()
    const forged = shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE }, signature: signShopifyWebhook('{"id":1}', SECRET) })
    const wrongSecret = shopifyWebhookRequest(URL, { secret: 'another-app-secret', order: { bridgeId: BRIDGE } })
    const unsigned = new Request(URL, { method: 'POST', body: exampleOrderWebhookBody({ bridgeId: BRIDGE }), headers: { 'x-shopify-topic': 'orders/create' } })
    const lines = options()
    for (const request of [forged, wrongSecret, unsigned]) expect((await handleShopifyWebhook(request, lines, deliver)).status).toBe(401)
    expect(deliver.counter.calls).toBe(0)
    // The positive signal first: a genuine delivery arrives, and it is the only event.
    expect((await handleShopifyWebhook(shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE, orderId: '42' } }), options(), deliver)).status).toBe(200)
    await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-42')
    expect(sandbox.segment.events()).toHaveLength(1)
    expect(lines.lines.filter((l) => l.includes('HMAC does not match'))).toHaveLength(2)
  })

  it('accepts any of several secrets (rotation)', async () => {
    const request = shopifyWebhookRequest(URL, { secret: 'new-secret', order: { bridgeId: BRIDGE } })
    expect((await handleShopifyWebhook(request, options({ secrets: ['', SECRET, 'new-secret'] }), toSegment())).status).toBe(200)
    expect(await verifyShopifyHmac(new TextEncoder().encode('x'), signShopifyWebhook('x', SECRET), [])).toBe(false)
  })

  it('keys an order without the attribute to the customer; skips one with neither (200, logged)', async () => {
    const deliver = toSegment()
    const customerOnly = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '1001', customerId: '7012345678901' } })
    expect((await handleShopifyWebhook(customerOnly, options(), deliver)).status).toBe(200)
    const event = await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-1001')
    expect(event.userId).toBe('7012345678901')
    expect(event.anonymousId ?? undefined).toBeUndefined()

    const guest = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '1002', customerId: null } })
    const opts = options()
    const response = await handleShopifyWebhook(guest, opts, deliver)
    expect(response.status).toBe(200)
    expect(deliver.counter.calls).toBe(1)
    expect(opts.lines.join('\n')).toMatch(/skipped order 1002: neither mailstitch_anonymous_id nor a customer/)
  })

  it('refuses an oversized body, declared or streamed, with nothing sent', async () => {
    const deliver = toSegment()
    const big = exampleOrderWebhookBody({ bridgeId: BRIDGE })
    const declared = shopifyWebhookRequest(URL, { secret: SECRET, body: big })
    expect((await handleShopifyWebhook(declared, options({ maxBodyBytes: 1000 }), deliver)).status).toBe(413)
    const bytes = new TextEncoder().encode(big)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 256) controller.enqueue(bytes.slice(i, i + 256))
        controller.close()
      },
    })
    const streamed = new Request(URL, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': signShopifyWebhook(big, SECRET) },
    } as RequestInit)
    expect(streamed.headers.get('content-length')).toBeNull()
    expect((await handleShopifyWebhook(streamed, options({ maxBodyBytes: 1000 }), deliver)).status).toBe(413)
    expect(deliver.counter.calls).toBe(0)
  })

  it('relays orders/create by default; orders/paid only when asked', async () => {
    const deliver = toSegment()
    const paid = () => shopifyWebhookRequest(URL, { secret: SECRET, topic: 'orders/paid', order: { bridgeId: BRIDGE } })
    expect((await handleShopifyWebhook(paid(), options(), deliver)).status).toBe(200)
    expect(deliver.counter.calls).toBe(0)
    expect((await handleShopifyWebhook(paid(), options({ topics: ['orders/create', 'orders/paid'] }), deliver)).status).toBe(200)
    expect(deliver.counter.calls).toBe(1)
  })

  it('sends Order Linked in join-only mode', async () => {
    await handleShopifyWebhook(shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE } }), options({ orders: 'link' }), toSegment())
    const event = await sandbox.segment.waitFor((e) => e.event === 'Order Linked')
    expect(event.messageId).toBe(`shopify-order-link-${EXAMPLE_ORDER_ID}`)
  })

  it('answers 503 when Segment fails, and the retry lands once', async () => {
    sandbox.segment.setFault({ status: 500, count: 1 })
    const request = shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE } })
    const retry = request.clone()
    const opts = options()
    const refused = await handleShopifyWebhook(request, opts, toSegment())
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('30')
    expect(opts.lines.join('\n')).toMatch(/Segment did not accept shopify-order-\d+: Segment answered 500/)
    expect((await handleShopifyWebhook(retry, opts, toSegment())).status).toBe(200)
    await sandbox.segment.waitFor((e) => e.event === 'Order Completed')
    expect(sandbox.segment.events()).toHaveLength(1)
  })

  it('answers 503 inside Shopify’s 5 s when Segment does not answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const request = shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE } })
    let called!: () => void
    const deliverCalled = new Promise<void>((resolve) => (called = resolve))
    let settled = false
    const pending = handleShopifyWebhook(request, options(), () => {
      called()
      return new Promise<void>(() => {}) // Segment never answers
    }).finally(() => (settled = true))
    await deliverCalled
    await vi.advanceTimersByTimeAsync(3999)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect((await pending).status).toBe(503)
  })

  it('never crashes: bad JSON, a throwing deliver, another method', async () => {
    const notJson = '{"id": 1, '
    const badJson = shopifyWebhookRequest(URL, { secret: SECRET, body: notJson })
    expect((await handleShopifyWebhook(badJson, options(), toSegment())).status).toBe(400)
    const throwing = () => {
      throw new Error('boom')
    }
    const request = shopifyWebhookRequest(URL, { secret: SECRET, order: { bridgeId: BRIDGE } })
    expect((await handleShopifyWebhook(request, options(), throwing)).status).toBe(503)
    expect((await handleShopifyWebhook(new Request(URL), options(), toSegment())).status).toBe(405)
    const signedArray = shopifyWebhookRequest(URL, { secret: SECRET, body: '[1,2,3]' })
    expect((await handleShopifyWebhook(signedArray, options(), toSegment())).status).toBe(200)
  })

  it('logs a forged request in one bounded line: a 16 KB webhook id or topic is never written verbatim', async () => {
    const forged = 'A'.repeat(16 * 1024)
    const request = new Request(URL, { method: 'POST', headers: { 'x-shopify-hmac-sha256': 'bm9wZQ==', 'x-shopify-webhook-id': forged, 'x-shopify-topic': `orders/create\tinjected: ${forged}` }, body: '{}' })
    const opts = options()
    expect((await handleShopifyWebhook(request, opts, toSegment())).status).toBe(401)
    expect(opts.lines).toHaveLength(1)
    expect(opts.lines[0]!.length).toBeLessThan(600)
    expect(opts.lines[0]).toMatch(/^shopify webhook A+… \(\d+ characters in all\)$/)
    expect(opts.lines[0]).not.toMatch(/[\n\t]/)
  })
})
