import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { buildShopifyWebhook, sendShopifyWebhook, signShopifyWebhook } from './order-webhook'
import { EXAMPLE_ORDER_ID, exampleOrderWebhookBody } from './examples'

describe('Shopify order webhook sender', () => {
  const servers: ReturnType<typeof createServer>[] = []
  afterEach(() => servers.splice(0).forEach((s) => s.close()))

  it("sends Shopify's headers and signs the raw body (base64 HMAC-SHA256)", () => {
    const { headers, body } = buildShopifyWebhook({ secret: 'hush', order: { bridgeId: 'abcdefgh' } })
    for (const name of ['X-Shopify-Topic', 'X-Shopify-Hmac-Sha256', 'X-Shopify-Shop-Domain', 'X-Shopify-Webhook-Id', 'X-Shopify-Event-Id', 'X-Shopify-Triggered-At', 'X-Shopify-API-Version']) {
      expect(headers[name], name).toBeTruthy()
    }
    expect(headers['X-Shopify-Topic']).toBe('orders/create')
    expect(headers['X-Shopify-Hmac-Sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(headers['X-Shopify-Hmac-Sha256']).toBe(signShopifyWebhook(body, 'hush'))
    expect(headers['X-Shopify-Hmac-Sha256']).not.toBe(signShopifyWebhook(body, 'other'))
  })

  it('writes the order id as a bare JSON number, like Shopify (no quotes)', () => {
    const body = exampleOrderWebhookBody({ bridgeId: 'abcdefgh' })
    expect(body).toContain(`"id":${EXAMPLE_ORDER_ID},`)
    expect(body).toContain(`"admin_graphql_api_id":"gid://shopify/Order/${EXAMPLE_ORDER_ID}"`)
    expect(JSON.parse(body).note_attributes).toEqual([{ name: 'mailstitch_anonymous_id', value: 'abcdefgh' }])
  })

  it('a redelivery repeats the body and the webhook/event ids', async () => {
    const seen: { headers: Record<string, unknown>; body: string }[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        seen.push({ headers: req.headers, body })
        res.writeHead(200).end('ok')
      })
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
    const first = await sendShopifyWebhook(url, { secret: 'hush' })
    await first.redeliver()
    expect(seen).toHaveLength(2)
    expect(seen[1]!.body).toBe(seen[0]!.body)
    for (const h of ['x-shopify-webhook-id', 'x-shopify-event-id', 'x-shopify-hmac-sha256']) expect(seen[1]!.headers[h]).toBe(seen[0]!.headers[h])
  })
})

describe('example order from a cart', () => {
  it("turns the cart's lines into line items and totals (REST money as strings)", () => {
    const order = JSON.parse(
      exampleOrderWebhookBody({
        orderId: '1001',
        lineItems: [
          { productId: 11, variantId: 111, title: 'Linen Overshirt', price: 78, quantity: 1 },
          { productId: 12, variantId: 121, title: 'Waxed Canvas Tote', variantTitle: 'Olive', price: 16, quantity: 2 },
        ],
        shippingPrice: 4.5,
      }),
    )
    expect(order).toMatchObject({ id: 1001, total_line_items_price: '110.00', subtotal_price: '110.00', total_discounts: '0.00', total_price: '114.50', discount_codes: [] })
    expect(order.line_items.map((li: { product_id: number; variant_title: string | null; quantity: number; price: string }) => [li.product_id, li.variant_title, li.quantity, li.price])).toEqual([
      [11, null, 1, '78.00'],
      [12, 'Olive', 2, '16.00'],
    ])
    expect(order.shipping_lines.map((l: { price: string }) => l.price)).toEqual(['4.50'])
  })
})
