import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createShopifyCheckout } from './checkout'
import { startSegmentCollector, type SegmentCollector } from '../segment-collector'
import type { SegmentTrackMessage } from '../../src/shared/segment-message'

let collector: SegmentCollector
beforeAll(async () => {
  collector = await startSegmentCollector({ port: 0 })
})
afterAll(() => collector.close())

const deliver = async (messages: SegmentTrackMessage[]) => {
  const r = await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk:')}` }, body: JSON.stringify({ batch: messages }) })
  if (!r.ok) throw new Error(String(r.status))
}

describe('createShopifyCheckout', () => {
  it('places numbered orders whose webhook reaches Segment keyed to the cart attribute; no attribute, no order event', async () => {
    const lines: string[] = []
    const checkout = createShopifyCheckout({ secret: 'shh', deliver, firstOrderId: 1001, log: (l) => lines.push(l) })
    const cart = { lines: [{ productId: 7, variantId: 70, title: 'Linen Overshirt', price: 78, quantity: 1 }] }
    expect(await checkout({ ...cart, bridgeId: 'abcdefgh-1234' })).toEqual({ orderId: '1001', webhookStatus: 200 })
    const event = await collector.waitFor((e) => e.event === 'Order Completed')
    expect(event).toMatchObject({ anonymousId: 'abcdefgh-1234', messageId: 'shopify-order-1001', properties: { total: 78, products: [{ product_id: '7', name: 'Linen Overshirt' }] } })
    expect(await checkout(cart)).toEqual({ orderId: '1002', webhookStatus: 200 })
    expect(lines.join('\n')).toMatch(/skipped order 1002/)
    expect(collector.events().filter((e) => e.event === 'Order Completed')).toHaveLength(1)
  })
})
