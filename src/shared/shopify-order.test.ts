import { describe, expect, it } from 'vitest'
import { mapCheckoutCompleted, mapShopifyOrder, orderMessageId, shopifyNumericId, shopifyOrderKeys, visitorLinkMessageId } from './shopify-order'
import { EXAMPLE_CHECKOUT_TOKEN, EXAMPLE_CUSTOMER_ID, EXAMPLE_ORDER_ID, exampleCheckoutCompleted, exampleOrderWebhookBody } from '../../sandbox/shopify/examples'

const BRIDGE = '3f1c9a52-7d0e-4b7f-9a51-8c2e0f6d4b11'
const relay = { library: { name: 'mailstitch-relay', version: '0.1.0' } }
const pixel = { library: { name: 'mailstitch-pixel', version: '0.1.0' } }

describe('mapShopifyOrder (webhook body)', () => {
  it('maps the example order with the bridge id to Order Completed keyed to the visitor', () => {
    const result = mapShopifyOrder(JSON.parse(exampleOrderWebhookBody({ bridgeId: BRIDGE })), relay)
    expect(result).toEqual({
      ok: true,
      message: {
        type: 'track',
        event: 'Order Completed',
        anonymousId: BRIDGE,
        userId: EXAMPLE_CUSTOMER_ID,
        messageId: `shopify-order-${EXAMPLE_ORDER_ID}`,
        timestamp: '2026-12-01T17:34:56.000Z',
        context: { library: relay.library, traits: { email: 'jon@example.com' } },
        properties: {
          checkout_id: EXAMPLE_CHECKOUT_TOKEN,
          order_id: EXAMPLE_ORDER_ID,
          total: 403,
          subtotal: 388,
          revenue: 388,
          shipping: 15,
          tax: 0,
          discount: 10,
          coupon: 'WELCOME10',
          currency: 'USD',
          products: [
            { product_id: '632910392', sku: 'IPOD2008PINK', name: 'IPod Nano - 8GB', variant: 'Pink', brand: 'Apple', price: 199, quantity: 1 },
            { product_id: '632910392', sku: 'IPOD2008PINK', name: 'IPod Nano - 8GB', variant: 'Pink', brand: 'Apple', price: 199, quantity: 1 },
          ],
        },
      },
    })
  })

  it('keeps ids above 2^53 exact by reading the GID (JSON.parse rounds the bare number)', () => {
    const parsed = JSON.parse(exampleOrderWebhookBody({ bridgeId: BRIDGE }))
    expect(String(parsed.id)).not.toBe(EXAMPLE_ORDER_ID) // the rounding the GID protects against
    const result = mapShopifyOrder(parsed, relay)
    expect(result.ok && result.message.messageId).toBe('shopify-order-820982911946154508')
    expect(result.ok && result.message.userId).toBe('115310627314723954')
  })

  it('sends Order Linked with the link messageId in join-only mode', () => {
    const result = mapShopifyOrder(JSON.parse(exampleOrderWebhookBody({ bridgeId: BRIDGE, orderId: '5801234567000' })), { ...relay, mode: 'link' })
    expect(result.ok && result.message).toMatchObject({
      event: 'Order Linked',
      anonymousId: BRIDGE,
      messageId: 'shopify-order-link-5801234567000',
      properties: { order_id: '5801234567000', checkout_token: EXAMPLE_CHECKOUT_TOKEN },
    })
    expect(result.ok && Object.keys(result.message.properties).sort()).toEqual(['checkout_token', 'order_id'])
  })

  it('keys an order without the attribute to the customer, and skips one with neither', () => {
    const customerOnly = mapShopifyOrder(JSON.parse(exampleOrderWebhookBody({ customerId: '7012345678901' })), relay)
    expect(customerOnly.ok && customerOnly.message.userId).toBe('7012345678901')
    expect(customerOnly.ok && 'anonymousId' in customerOnly.message).toBe(false)
    expect(mapShopifyOrder(JSON.parse(exampleOrderWebhookBody({ customerId: null, orderId: '1001' })), relay)).toEqual({ ok: false, reason: 'no_visitor', orderId: '1001' })
  })

  it('ignores an emptied or malformed bridge attribute (consent withdrawn, tampering)', () => {
    for (const bridgeId of ['', '  ', 'a b c d e f g h', '<script>x</script>']) {
      const result = mapShopifyOrder(JSON.parse(exampleOrderWebhookBody({ bridgeId, customerId: null })), relay)
      expect(result).toMatchObject({ ok: false, reason: 'no_visitor' })
    }
  })

  it('never throws on bad input', () => {
    const inputs: unknown[] = [null, undefined, 'order', 42, [], {}, { id: 'x' }, { id: 1, note_attributes: 'nope', line_items: {}, customer: 5 }, { id: -1 }, { id: 1.5 }]
    for (const input of inputs) expect(() => mapShopifyOrder(input, relay)).not.toThrow()
    expect(mapShopifyOrder({ id: 'x' }, relay)).toEqual({ ok: false, reason: 'no_order_id' })
    const odd = mapShopifyOrder({ id: 7, note_attributes: [null, { name: 'mailstitch_anonymous_id', value: BRIDGE }], line_items: [null, { price: 'abc', quantity: -1 }], total_price: 'NaN', created_at: 'yesterday' }, relay)
    expect(odd.ok && odd.message).toMatchObject({ anonymousId: BRIDGE, messageId: 'shopify-order-7', properties: { order_id: '7', products: [{}, {}] } })
    expect(odd.ok && 'timestamp' in odd.message).toBe(false)
  })
})

describe('mapShopifyOrder with the email\'s bridge id (orders without the attribute)', () => {
  const EMAIL_BRIDGE = 'email-visitor-0001'
  const order = (o: Parameters<typeof exampleOrderWebhookBody>[0]) => JSON.parse(exampleOrderWebhookBody(o)) as unknown

  it('keys an order without the attribute to the email\'s bridge id, keeping the customer as userId', () => {
    const guest = mapShopifyOrder(order({ customerId: null, orderId: '1001' }), { ...relay, emailBridgeId: EMAIL_BRIDGE })
    expect(guest).toEqual({ ok: true, message: expect.objectContaining({ anonymousId: EMAIL_BRIDGE, messageId: 'shopify-order-1001' }) })
    expect(guest.ok && 'userId' in guest.message).toBe(false)
    const customer = mapShopifyOrder(order({ orderId: '1002' }), { ...relay, emailBridgeId: EMAIL_BRIDGE })
    expect(customer.ok && customer.message).toMatchObject({ anonymousId: EMAIL_BRIDGE, userId: EXAMPLE_CUSTOMER_ID })
    expect(customer.ok && customer.linked).toBeUndefined()
  })

  it('lets the attribute win, and joins a different email bridge id with one Visitor Linked on the attribute\'s id', () => {
    const result = mapShopifyOrder(order({ bridgeId: BRIDGE, orderId: '1003' }), { ...relay, emailBridgeId: EMAIL_BRIDGE })
    if (!result.ok) throw new Error('must map')
    expect(result.message).toMatchObject({ event: 'Order Completed', anonymousId: BRIDGE, messageId: 'shopify-order-1003' })
    expect(result.linked).toEqual({
      type: 'track',
      event: 'Visitor Linked',
      anonymousId: BRIDGE,
      userId: EXAMPLE_CUSTOMER_ID,
      messageId: 'shopify-visitor-link-1003',
      timestamp: '2026-12-01T17:34:56.000Z',
      context: { library: relay.library, traits: { email: 'jon@example.com' } },
      properties: { bridge_id: EMAIL_BRIDGE, order_id: '1003' },
    })
    // Join-only mode links the same way.
    const link = mapShopifyOrder(order({ bridgeId: BRIDGE, orderId: '1003' }), { ...relay, mode: 'link', emailBridgeId: EMAIL_BRIDGE })
    expect(link.ok && link.message.event).toBe('Order Linked')
    expect(link.ok && link.linked?.messageId).toBe(visitorLinkMessageId('1003'))
  })

  it('sends no Visitor Linked when the attribute and the email agree, and ignores a malformed email bridge id', () => {
    const same = mapShopifyOrder(order({ bridgeId: BRIDGE }), { ...relay, emailBridgeId: BRIDGE })
    expect(same.ok && 'linked' in same).toBe(false)
    const malformed = mapShopifyOrder(order({ customerId: null }), { ...relay, emailBridgeId: 'not an id' })
    expect(malformed).toMatchObject({ ok: false, reason: 'no_visitor' })
  })

  it('reads the keys the relay decides on: order id, attribute, email lower-cased (contact_email when email is empty)', () => {
    expect(shopifyOrderKeys(order({ bridgeId: BRIDGE, email: ' Ada@Example.COM ' }))).toEqual({ orderId: EXAMPLE_ORDER_ID, attributeBridgeId: BRIDGE, email: 'ada@example.com' })
    expect(shopifyOrderKeys({ id: 5, email: '', contact_email: 'Bob@example.com', note_attributes: [{ name: 'mailstitch_anonymous_id', value: '' }] })).toEqual({ orderId: '5', email: 'bob@example.com' })
    for (const input of [null, 'x', [], { id: 'x', email: 5 }]) expect(() => shopifyOrderKeys(input)).not.toThrow()
    expect(shopifyOrderKeys(null)).toEqual({})
  })
})

describe('mapCheckoutCompleted (web pixel)', () => {
  it('gives the same message ids and properties as the webhook for the same order', () => {
    const fromWebhook = mapShopifyOrder(JSON.parse(exampleOrderWebhookBody({ bridgeId: BRIDGE })), relay)
    const fromPixel = mapCheckoutCompleted(exampleCheckoutCompleted({ bridgeId: BRIDGE }), pixel)
    if (!fromWebhook.ok || !fromPixel.ok) throw new Error('both must map')
    expect(fromPixel.message.messageId).toBe(fromWebhook.message.messageId)
    expect(fromPixel.message.anonymousId).toBe(BRIDGE)
    expect(fromPixel.message.userId).toBe(fromWebhook.message.userId)
    expect(fromPixel.message.properties).toEqual(fromWebhook.message.properties)
    expect(fromPixel.message.context.library.name).toBe('mailstitch-pixel')
  })

  it('falls back to the bridge id stored in the browser when the checkout carries no attribute; the attribute wins', () => {
    const stored = 'stored-browser-id-01'
    const withoutAttribute = mapCheckoutCompleted(exampleCheckoutCompleted({ customerId: null }), { ...pixel, storedBridgeId: stored })
    expect(withoutAttribute.ok && withoutAttribute.message).toMatchObject({ anonymousId: stored, messageId: `shopify-order-${EXAMPLE_ORDER_ID}` })
    const withAttribute = mapCheckoutCompleted(exampleCheckoutCompleted({ bridgeId: BRIDGE }), { ...pixel, storedBridgeId: stored })
    expect(withAttribute.ok && withAttribute.message.anonymousId).toBe(BRIDGE)
    expect(withAttribute.ok && 'linked' in withAttribute).toBe(false)
    expect(mapCheckoutCompleted(exampleCheckoutCompleted({ customerId: null }), { ...pixel, storedBridgeId: '<bad>' })).toMatchObject({ ok: false, reason: 'no_visitor' })
  })

  it('reduces a GID order id and maps join-only mode', () => {
    const event = exampleCheckoutCompleted({ bridgeId: BRIDGE, orderId: 'gid://shopify/Order/5801234567000' })
    const result = mapCheckoutCompleted(event, { ...pixel, mode: 'link' })
    expect(result.ok && result.message).toMatchObject({ event: 'Order Linked', messageId: 'shopify-order-link-5801234567000', properties: { order_id: '5801234567000' } })
  })

  it('skips a checkout without an order id or without a visitor, and never throws', () => {
    const noOrder = exampleCheckoutCompleted({ bridgeId: BRIDGE }) as { data: { checkout: { order: unknown } } }
    noOrder.data.checkout.order = null
    expect(mapCheckoutCompleted(noOrder, pixel)).toEqual({ ok: false, reason: 'no_order_id' })
    expect(mapCheckoutCompleted(exampleCheckoutCompleted({ customerId: null }), pixel)).toMatchObject({ ok: false, reason: 'no_visitor' })
    for (const input of [null, 'x', {}, { data: null }, { data: { checkout: 'x' } }, { data: { checkout: { order: { id: 5 }, attributes: 'x', lineItems: [null] } } }]) {
      expect(() => mapCheckoutCompleted(input, pixel)).not.toThrow()
    }
  })
})

describe('ids', () => {
  it('reduces Shopify ids to their number and builds the contract messageIds', () => {
    expect(shopifyNumericId('gid://shopify/Order/123')).toBe('123')
    expect(shopifyNumericId(123)).toBe('123')
    expect(shopifyNumericId(' 123 ')).toBe('123')
    expect(shopifyNumericId('gid://shopify/Order/abc')).toBeUndefined()
    expect(shopifyNumericId(2 ** 60)).toBeUndefined()
    expect(orderMessageId('123', 'completed')).toBe('shopify-order-123')
    expect(orderMessageId('123', 'link')).toBe('shopify-order-link-123')
  })
})
