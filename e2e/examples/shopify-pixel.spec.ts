// The web pixel extension (examples/shopify/extensions/mailstitch-pixel), built from its source
// with @shopify/web-pixels-extension by esbuild (what Shopify CLI uses), run in Chromium in a
// web worker the way Shopify's strict pixel sandbox runs it (sandbox/shopify/pixel-manager.ts),
// fed a checkout_completed event shaped like Shopify's published example, against the Segment
// collector (api.segment.io is routed to it).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { build } from 'esbuild'
import type { Page } from '@playwright/test'
import { test, expect, type Stack } from '../support/fixtures'
import { PIXEL_PAGE_HTML, PIXEL_WORKER_JS, PRIVACY_ALLOWED, PRIVACY_DENIED } from '../../sandbox/shopify/pixel-manager'
import { EXAMPLE_ORDER_ID, exampleCheckoutCompleted } from '../../sandbox/shopify/examples'
import { shopifyWebhookRequest } from '../../sandbox/shopify/order-webhook'
import { handleShopifyWebhook } from '../../src/webhook/shopify'
import type { SegmentTrackMessage } from '../../src/shared/segment-message'

type Ev = Record<string, any>
const PIXEL_DIR = join(import.meta.dirname, '../../examples/shopify/extensions/mailstitch-pixel')
const PIXEL_KEY = 'wk_pixel'
const BRIDGE = '3f1c9a52-7d0e-4b7f-9a51-8c2e0f6d4b11'
let bundle: string

test.beforeAll(async () => {
  const out = await build({ entryPoints: [join(PIXEL_DIR, 'src/index.ts')], bundle: true, format: 'iife', target: 'es2020', write: false, logLevel: 'silent' })
  bundle = out.outputFiles[0].text
})

/** The thank-you page with the pixel started under `settings` and `privacy`. */
async function thankYouPage(stack: Stack, settings: Record<string, string>, privacy = PRIVACY_ALLOWED, code = bundle, custom = false): Promise<Page> {
  stack.site.script('/pixel-sandbox.js', PIXEL_WORKER_JS)
  stack.site.script('/mailstitch-pixel.js', code)
  stack.site.page('/checkouts/thank-you', PIXEL_PAGE_HTML)
  const page = await (await stack.device()).newPage()
  await page.goto(stack.site.url + '/checkouts/thank-you')
  await page.evaluate(([s, p, c]) => (window as any).pixel.start('/mailstitch-pixel.js', s, p, c), [settings, privacy, custom] as const)
  return page
}

const publish = (page: Page, event: unknown) => page.evaluate((e) => (window as any).pixel.publish('checkout_completed', e), event)
const orders = (stack: Stack) => stack.collector.events().filter((e: Ev) => /^Order (Completed|Linked)$/.test(e.event ?? ''))

test('checkout_completed → one Order Completed keyed to the bridge id; the webhook copy of the order adds nothing', async ({ stack }) => {
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY })
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE }))
  const event = (await stack.collector.waitFor((e: Ev) => e.event === 'Order Completed')) as Ev
  expect(event).toMatchObject({
    anonymousId: BRIDGE,
    messageId: `shopify-order-${EXAMPLE_ORDER_ID}`,
    context: { library: { name: 'mailstitch-pixel' } },
    properties: { order_id: EXAMPLE_ORDER_ID, total: 403, subtotal: 388, shipping: 15, coupon: 'WELCOME10', currency: 'USD' },
  })
  expect(event.properties.products).toHaveLength(2)
  expect(stack.collector.requestLog().map((r) => r.writeKey)).toEqual([PIXEL_KEY])

  // The relay gets the same order from Shopify's orders/create webhook: Segment keeps one.
  const deliver = async (messages: SegmentTrackMessage[]) => {
    const r = await fetch(`${stack.collector.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk_relay:')}` }, body: JSON.stringify({ batch: messages }) })
    if (!r.ok) throw new Error(String(r.status))
  }
  const response = await handleShopifyWebhook(shopifyWebhookRequest('https://relay.example/', { secret: 's', order: { bridgeId: BRIDGE } }), { secrets: ['s'] }, deliver)
  expect(response.status).toBe(200)
  await expect.poll(() => stack.collector.duplicates()).toBe(1)
  expect(orders(stack)).toHaveLength(1)
  expect(await page.evaluate(() => (window as any).pixelErrors)).toEqual([])
})

test('Segment answering 503 once: the pixel retries and the order arrives once', async ({ stack }) => {
  stack.collector.setFault({ status: 503, count: 1 })
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY })
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE }))
  await stack.collector.waitFor((e: Ev) => e.event === 'Order Completed', 10_000)
  expect(stack.collector.requests()).toBe(2)
  expect(orders(stack)).toHaveLength(1)
})

test('orders setting "link": Order Linked with the link messageId', async ({ stack }) => {
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY, orders: 'link' })
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE, orderId: 'gid://shopify/Order/5801234567000' }))
  const event = (await stack.collector.waitFor((e: Ev) => e.event === 'Order Linked')) as Ev
  expect(event).toMatchObject({ anonymousId: BRIDGE, messageId: 'shopify-order-link-5801234567000', properties: { order_id: '5801234567000' } })
})

test('customer privacy: nothing is sent before the visitor allows analytics and marketing', async ({ stack }) => {
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY }, PRIVACY_DENIED)
  await page.evaluate((p) => (window as any).pixel.consent(p), { ...PRIVACY_ALLOWED, marketingAllowed: false })
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE }))
  await page.evaluate((p) => (window as any).pixel.consent(p), PRIVACY_ALLOWED)
  await stack.collector.waitFor((e: Ev) => e.event === 'Order Completed')
  // One request in all: nothing left before the visitor allowed both.
  expect(stack.collector.requests()).toBe(1)
  expect(orders(stack)).toHaveLength(1)
})

test('an order with neither the bridge id nor a customer is not sent', async ({ stack }) => {
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY })
  await publish(page, exampleCheckoutCompleted({ customerId: null, orderId: '1001' }))
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE, customerId: null, orderId: '1002' }))
  await stack.collector.waitFor((e: Ev) => e.messageId === 'shopify-order-1002')
  expect(orders(stack).map((e: Ev) => e.messageId)).toEqual(['shopify-order-1002'])
  expect(stack.collector.requests()).toBe(1)
})

/** The storefront's `mst_state` cookie as the browser SDK writes it (src/browser/state.ts: URI-encoded JSON, `b` = bridge id). */
const storeBridgeId = (page: Page, bridgeId: string) =>
  page.evaluate((b) => {
    document.cookie = `mst_state=${encodeURIComponent(JSON.stringify({ c: 1, b }))}; path=/; samesite=lax`
  }, bridgeId)

test('a checkout without the attribute falls back to the bridge id stored on the storefront (browser.cookie.get), same messageId', async ({ stack }) => {
  const STORED = 'b7e1c2d3-0000-4a5b-8c9d-stored000001'
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY })
  await storeBridgeId(page, STORED)
  // A guest's express checkout: no attribute, no customer.
  await publish(page, exampleCheckoutCompleted({ customerId: null, orderId: '1003' }))
  // The attribute still wins where the checkout carries one.
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE, orderId: '1004' }))
  await stack.collector.waitFor((e: Ev) => e.messageId === 'shopify-order-1003')
  await stack.collector.waitFor((e: Ev) => e.messageId === 'shopify-order-1004')
  expect(orders(stack).map((e: Ev) => [e.messageId, e.anonymousId]).sort()).toEqual([
    ['shopify-order-1003', STORED],
    ['shopify-order-1004', BRIDGE],
  ])
  expect(await page.evaluate(() => (window as any).pixelErrors)).toEqual([])
})

test('a stored value that is not a bridge id keys nothing: the guest order without the attribute is not sent', async ({ stack }) => {
  const page = await thankYouPage(stack, { segmentWriteKey: PIXEL_KEY })
  await page.evaluate(() => {
    document.cookie = 'mst_state=%7B%22b%22%3A%22%3Cscript%3E%22%7D; path=/'
  })
  await publish(page, exampleCheckoutCompleted({ customerId: null, orderId: '1005' }))
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE, customerId: null, orderId: '1006' }))
  await stack.collector.waitFor((e: Ev) => e.messageId === 'shopify-order-1006')
  expect(orders(stack).map((e: Ev) => e.messageId)).toEqual(['shopify-order-1006'])
})

test('the custom-pixel build (no app): same message from the globals, settings baked in', async ({ stack }) => {
  const script = join(PIXEL_DIR, '../../scripts/build-custom-pixel.mjs')
  const code = execFileSync('node', [script, '--write-key', PIXEL_KEY, '--orders', 'link'], { encoding: 'utf8' })
  const page = await thankYouPage(stack, {}, PRIVACY_ALLOWED, code, true)
  await publish(page, exampleCheckoutCompleted({ bridgeId: BRIDGE }))
  const event = (await stack.collector.waitFor((e: Ev) => e.event === 'Order Linked')) as Ev
  expect(event).toMatchObject({ anonymousId: BRIDGE, messageId: `shopify-order-link-${EXAMPLE_ORDER_ID}` })
  expect(stack.collector.requestLog().map((r) => r.writeKey)).toEqual([PIXEL_KEY])
  // The `browser` global reads the stored bridge id for a checkout without the attribute.
  await storeBridgeId(page, 'stored-custom-0001')
  await publish(page, exampleCheckoutCompleted({ customerId: null, orderId: '1007' }))
  expect(await stack.collector.waitFor((e: Ev) => e.messageId === 'shopify-order-link-1007')).toMatchObject({ anonymousId: 'stored-custom-0001' })
  expect(await page.evaluate(() => (window as any).pixelErrors)).toEqual([])
})
