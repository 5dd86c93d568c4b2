import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createShopifyCheckout } from './checkout'
import { startSegmentCollector, type SegmentCollector } from '../segment-collector'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../klaviyo-emulator'
import { KlaviyoLookup } from '../../src/webhook/klaviyo-lookup'
import type { SegmentTrackMessage } from '../../src/shared/segment-message'

let collector: SegmentCollector
let klaviyo: KlaviyoEmulator
beforeAll(async () => {
  collector = await startSegmentCollector({ port: 0 })
  klaviyo = await startKlaviyoEmulator({ port: 0, privateKeys: ['pk_test'] })
})
afterAll(async () => {
  await collector.close()
  await klaviyo.close()
})

const deliver = async (messages: SegmentTrackMessage[]) => {
  const r = await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk:')}` }, body: JSON.stringify({ batch: messages }) })
  if (!r.ok) throw new Error(String(r.status))
}

describe('createShopifyCheckout', () => {
  it("places numbered orders with the buyer's own email whose webhook reaches Segment keyed to the cart attribute; no attribute, no order event", async () => {
    const lines: string[] = []
    const checkout = createShopifyCheckout({ secret: 'shh', deliver, firstOrderId: 1001, log: (l) => lines.push(l) })
    const cart = { lines: [{ productId: 7, variantId: 70, title: 'Linen Overshirt', price: 78, quantity: 1 }], email: 'grace@example.com' }
    expect(await checkout({ ...cart, bridgeId: 'abcdefgh-1234' })).toEqual({ orderId: '1001', webhookStatus: 200 })
    const event = await collector.waitFor((e) => e.event === 'Order Completed')
    expect(event).toMatchObject({ anonymousId: 'abcdefgh-1234', messageId: 'shopify-order-1001', context: { traits: { email: 'grace@example.com' } }, properties: { total: 78, products: [{ product_id: '7', name: 'Linen Overshirt' }] } })
    expect(await checkout(cart)).toEqual({ orderId: '1002', webhookStatus: 200 })
    expect(lines.join('\n')).toMatch(/skipped order 1002/)
    expect(collector.events().filter((e) => e.event === 'Order Completed')).toHaveLength(1)
  })

  it("with the relay's Klaviyo look-up, an order without the attribute is keyed to its email's bridge id", async () => {
    klaviyo.store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: 'anon-ada-0001' } })
    const lookup = new KlaviyoLookup({ privateKey: 'pk_test', apiBase: klaviyo.url })
    const checkout = createShopifyCheckout({ secret: 'shh', deliver, firstOrderId: 2001, lookup })
    const cart = { lines: [{ productId: 7, variantId: 70, title: 'Linen Overshirt', price: 78, quantity: 1 }], email: 'ada@example.com' }
    expect(await checkout(cart)).toEqual({ orderId: '2001', webhookStatus: 200 })
    expect(await collector.waitFor((e) => e.messageId === 'shopify-order-2001')).toMatchObject({ anonymousId: 'anon-ada-0001' })
  })
})
