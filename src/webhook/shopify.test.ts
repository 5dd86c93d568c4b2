import { afterEach, describe, expect, it, vi } from 'vitest'
import { handleShopifyWebhook, verifyShopifyHmac, type ShopifyWebhookOptions } from './shopify'
import { mapCheckoutCompleted } from '../shared/shopify-order'
import type { SegmentTrackMessage } from '../shared/segment-message'
import { shopifyWebhookRequest, signShopifyWebhook } from '../../sandbox/shopify/order-webhook'
import { EXAMPLE_CUSTOMER_ID, EXAMPLE_ORDER_ID, exampleCheckoutCompleted, exampleOrderWebhookBody } from '../../sandbox/shopify/examples'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { KlaviyoLookup } from './klaviyo-lookup'

const SECRET = 'shpss_0123456789abcdef0123456789abcdef'
const BRIDGE = '3f1c9a52-7d0e-4b7f-9a51-8c2e0f6d4b11'
const URL = 'https://relay.example/'
const sandbox = useSandboxServices({ segment: { writeKeys: ['wk_test'] }, klaviyo: { privateKeys: ['pk_test'] } })
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

describe('handleShopifyWebhook: orders without the attribute, joined by email (Klaviyo Get Profiles)', () => {
  const EMAIL_BRIDGE = 'email-visitor-ada-01'
  const lookup = () => new KlaviyoLookup({ privateKey: 'pk_test', apiBase: sandbox.klaviyo.url })
  const seedAda = () => sandbox.klaviyo.store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: EMAIL_BRIDGE } }).profile
  const emailLookups = () => sandbox.klaviyo.serverRequests().filter((r) => r.path === '/api/profiles' && /^equals\(email,/.test(r.query.filter ?? ''))
  const linkedOptions = (l: KlaviyoLookup) => options({ lookup: l })
  /** A look-up and handler options on one virtual clock: the look-up's backoff sleeps move it on at once, the requests stay real. */
  const onVirtualClock = () => {
    let t = Date.now()
    const now = () => t
    const l = new KlaviyoLookup({ privateKey: 'pk_test', apiBase: sandbox.klaviyo.url, now, sleep: async (ms) => void (t += ms) })
    return options({ lookup: l, now })
  }

  it("keys a guest's order without the attribute to the email's bridge id; one look-up per email while cached", async () => {
    seedAda()
    const l = lookup()
    const deliver = toSegment()
    const opts = linkedOptions(l)
    const first = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2001', customerId: null, email: 'Ada@Example.com' } })
    expect((await handleShopifyWebhook(first, opts, deliver)).status).toBe(200)
    const event = await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-2001')
    expect(event).toMatchObject({ event: 'Order Completed', anonymousId: EMAIL_BRIDGE, context: { traits: { email: 'Ada@Example.com' } } })
    expect(event.userId ?? undefined).toBeUndefined()
    expect(emailLookups()).toEqual([expect.objectContaining({ status: 200, query: expect.objectContaining({ filter: 'equals(email,"ada@example.com")' }) })])
    expect(opts.lines.join('\n')).toMatch(/sent Order Completed shopify-order-2001 keyed by the email's bridge id/)

    const second = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2002', email: 'ada@example.com' } })
    expect((await handleShopifyWebhook(second, opts, deliver)).status).toBe(200)
    expect(await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-2002')).toMatchObject({ anonymousId: EMAIL_BRIDGE, userId: EXAMPLE_CUSTOMER_ID })
    expect(emailLookups()).toHaveLength(1)
    expect(sandbox.segment.events().some((e) => e.event === 'Visitor Linked')).toBe(false)
  })

  it("lets the attribute win and sends Visitor Linked on the attribute's id when the email's bridge id differs; a redelivery adds nothing", async () => {
    seedAda()
    const deliver = toSegment()
    const opts = linkedOptions(lookup())
    const request = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2003', bridgeId: BRIDGE, email: 'ada@example.com' } })
    const redelivery = request.clone()
    expect((await handleShopifyWebhook(request, opts, deliver)).status).toBe(200)
    expect((await handleShopifyWebhook(redelivery, opts, deliver)).status).toBe(200)
    const linked = await sandbox.segment.waitFor((e) => e.event === 'Visitor Linked')
    expect(linked).toMatchObject({ anonymousId: BRIDGE, messageId: 'shopify-visitor-link-2003', properties: { bridge_id: EMAIL_BRIDGE, order_id: '2003' } })
    expect(sandbox.segment.events().map((e) => [e.event, e.anonymousId])).toEqual([
      ['Order Completed', BRIDGE],
      ['Visitor Linked', BRIDGE],
    ])
  })

  it('leaves an order as before when the email has no profile, or a profile without a bridge id', async () => {
    sandbox.klaviyo.store.createOrUpdateProfile({ email: 'nobridge@example.com', properties: { plan: 'gold' } })
    const deliver = toSegment()
    const opts = linkedOptions(lookup())
    const customer = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2004', email: 'nobody@example.com' } })
    expect((await handleShopifyWebhook(customer, opts, deliver)).status).toBe(200)
    const event = await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-2004')
    expect(event.userId).toBe(EXAMPLE_CUSTOMER_ID)
    expect(event.anonymousId ?? undefined).toBeUndefined()
    const guest = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2005', customerId: null, email: 'nobridge@example.com' } })
    expect((await handleShopifyWebhook(guest, opts, deliver)).status).toBe(200)
    expect(opts.lines.join('\n')).toMatch(/skipped order 2005: neither mailstitch_anonymous_id, nor a bridge id for its email, nor a customer/)
    expect(emailLookups()).toHaveLength(2)
    expect(deliver.counter.calls).toBe(1)
  })

  it('answers 503 with Retry-After when Klaviyo fails, sending nothing unkeyed; the retry is keyed to the email', async () => {
    seedAda()
    sandbox.klaviyo.setFault({ status: 500, count: 100 })
    const deliver = toSegment()
    const opts = onVirtualClock()
    const request = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2006', email: 'ada@example.com' } })
    const retry = request.clone()
    const response = await handleShopifyWebhook(request, opts, deliver)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('30')
    expect(deliver.counter.calls).toBe(0)
    expect(opts.lines.join('\n')).toMatch(/Klaviyo look-up of order 2006's email failed .*answering 503 so Shopify retries, nothing sent/)
    sandbox.klaviyo.clearFault()
    expect((await handleShopifyWebhook(retry, opts, deliver)).status).toBe(200)
    expect(await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-2006')).toMatchObject({ anonymousId: EMAIL_BRIDGE, userId: EXAMPLE_CUSTOMER_ID })
    expect(sandbox.segment.events()).toHaveLength(1)
  })

  it('sends an order with the attribute even when Klaviyo fails, and answers 503 so the retry brings its Visitor Linked', async () => {
    seedAda()
    sandbox.klaviyo.setFault({ status: 500, count: 100 })
    const deliver = toSegment()
    const opts = onVirtualClock()
    const request = shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2007', bridgeId: BRIDGE, email: 'ada@example.com' } })
    const retry = request.clone()
    const response = await handleShopifyWebhook(request, opts, deliver)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('30')
    expect(await sandbox.segment.waitFor((e) => e.messageId === 'shopify-order-2007')).toMatchObject({ anonymousId: BRIDGE })
    sandbox.klaviyo.clearFault()
    expect((await handleShopifyWebhook(retry, opts, deliver)).status).toBe(200)
    await sandbox.segment.waitFor((e) => e.messageId === 'shopify-visitor-link-2007')
    expect(sandbox.segment.events().map((e) => e.messageId)).toEqual(['shopify-order-2007', 'shopify-visitor-link-2007'])
  })

  it('fails fast (503) past the Get Profiles budget rather than waiting, and looks nothing up without an email', async () => {
    seedAda()
    const strict = new KlaviyoLookup({ privateKey: 'pk_test', apiBase: sandbox.klaviyo.url, cacheTtlMs: 0, profilesRate: [{ limit: 1, windowMs: 60_000 }] })
    const deliver = toSegment()
    const opts = linkedOptions(strict)
    expect((await handleShopifyWebhook(shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2008', customerId: null, email: 'ada@example.com' } }), opts, deliver)).status).toBe(200)
    const throttled = await handleShopifyWebhook(shopifyWebhookRequest(URL, { secret: SECRET, order: { orderId: '2009', customerId: null, email: 'ada@example.com' } }), opts, deliver)
    expect(throttled.status).toBe(503)
    expect(emailLookups()).toHaveLength(1)
    const noEmail = JSON.parse(exampleOrderWebhookBody({ orderId: '2010', bridgeId: BRIDGE })) as Record<string, unknown>
    noEmail.email = null
    noEmail.contact_email = null
    expect((await handleShopifyWebhook(shopifyWebhookRequest(URL, { secret: SECRET, body: JSON.stringify(noEmail) }), opts, deliver)).status).toBe(200)
    expect(emailLookups()).toHaveLength(1)
  })
})
