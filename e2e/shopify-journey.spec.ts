/**
 * The demo with `checkout: 'shopify'` (`npm run demo -- --checkout shopify`): the shopper's
 * purchase goes through a Shopify checkout stand-in instead of the store page's own
 * `Order Completed`: the email click on a second device, then the order (bridge id in
 * `note_attributes`, as the cart bridge writes it) and Shopify's `orders/create` webhook (shaped
 * like Shopify's example) through the relay's Shopify handler into Segment. The journey viewer
 * must credit that order to the email click.
 * An express checkout (no cart, so no attribute) is keyed by the relay's Klaviyo look-up of its email.
 */
import { test, expect, type Browser } from '@playwright/test'
import type { Demo } from '../sandbox/demo'
import { readEvents } from '../src/journey/events'
import { compareJourneys } from '../src/journey/model'
import { startTestDemo, anonymousIdOf, campaignLinkForOtherDevice, demoDevice, laptopSignup, nextSecond, openEmailLink, placeOrder } from './support/demo-walk'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ev = Record<string, any>
const EMAIL = 'grace@example.com'

const device = (browser: Browser) => demoDevice(browser, { viewport: { width: 1360, height: 900 } })

let demo: Demo

test.beforeEach(async () => {
  demo = await startTestDemo({ checkout: 'shopify' })
})

test.afterEach(() => demo?.close())

test('demo --checkout shopify: the Shopify order (orders/create webhook) after an email click is credited to the click in the journey viewer', async ({ browser }) => {
  // --- Laptop: browse, subscribe in the footer form.
  const laptop = await device(browser)
  const { anonymousId: A } = await laptopSignup(demo, laptop, EMAIL)
  await expect.poll(() => demo.klaviyo.store.findProfile({ email: EMAIL })?.properties.segment_anonymous_id, { timeout: 15_000 }).toBe(A)

  // --- A campaign, opened (in a later second than the signup); its link clicked on another device.
  await nextSecond()
  const href = await campaignLinkForOtherDevice(demo, laptop, EMAIL)
  const p2 = await openEmailLink(demo, await device(browser), href)
  expect(await anonymousIdOf(p2)).toBe(A)
  await demo.collector.waitFor((e) => e.event === 'Email Link Landed', 15_000)

  // --- The checkout happens on Shopify: the order carries the bridge id the cart bridge wrote
  // into the cart attributes (a guest checkout), and its orders/create webhook reaches the relay.
  await p2.click('#add-to-cart')
  await placeOrder(p2, EMAIL) // Shopify's checkout asks for the buyer's own email
  const orderId = new URL(p2.url()).searchParams.get('order')!
  expect(orderId).toMatch(/^\d+$/)
  await demo.collector.waitFor((e) => e.event === 'Order Completed', 15_000)
  await demo.pollNow()
  await expect.poll(() => demo.collector.events().filter((e) => e.event === 'Email Link Clicked').length, { timeout: 20_000 }).toBe(1)

  // --- The model: one visitor, the Shopify order credited to the click.
  const all = demo.collector.events() as Ev[]
  const order = all.find((e) => e.event === 'Order Completed')!
  expect(order).toMatchObject({ anonymousId: A, messageId: `shopify-order-${orderId}`, context: { library: { name: 'mailstitch-relay' }, traits: { email: EMAIL } }, properties: { order_id: orderId, total: 68, currency: 'USD', products: [{ name: 'Linen Overshirt', quantity: 1 }] } })
  // Only the relay sent an order: the store page did not.
  expect(all.filter((e) => e.event === 'Order Completed')).toHaveLength(1)
  const model = compareJourneys(readEvents(all).events)
  expect(model.with.visitors.map((v) => v.id)).toEqual([A])
  const [o] = model.with.visitors[0]!.orders
  expect(o!.order).toMatchObject({ emailClick: true, orderId, lastTouch: { channel: 'email', via: 'email-click' } })

  // --- The journey viewer shows it.
  const viewer = await (await device(browser)).newPage()
  await viewer.goto(demo.urls.journey)
  await expect(viewer.locator('[data-col="with"] .callout.order')).toContainText('credited to the email click')
  await expect(viewer.locator('[data-col="with"]')).toContainText(`#${orderId}`)
  // The order row is badged as a Shopify order, not as a Klaviyo email event; the visitor has one email.
  const orderRow = viewer.locator('[data-col="with"] li.row.order')
  await expect(orderRow.locator('.src')).toHaveText('SHOP')
  await expect(viewer.locator('[data-col="with"] li.row.relay .src').first()).toHaveText('KLAV')
  expect(model.with.visitors[0]!.emails).toEqual([EMAIL])
  await expect(viewer.locator('[data-summary="with"] .stat', { hasText: 'orders credited to an email click' })).toContainText('1/1')
})

test('demo --checkout shopify, express checkout without the cart attribute: the relay keys the order by its email, credited to the click', async ({ browser }) => {
  const laptop = await device(browser)
  const { anonymousId: A } = await laptopSignup(demo, laptop, EMAIL)
  await expect.poll(() => demo.klaviyo.store.findProfile({ email: EMAIL })?.properties.segment_anonymous_id, { timeout: 15_000 }).toBe(A)
  await nextSecond()
  const href = await campaignLinkForOtherDevice(demo, laptop, EMAIL)
  const phone = await openEmailLink(demo, await device(browser), href)
  await demo.collector.waitFor((e) => e.event === 'Email Link Landed', 15_000)

  // Shop Pay from the product page: the order skips the cart, so it carries no attribute, only the buyer's email.
  const slug = new URL(phone.url()).pathname.split('/').pop()!
  const placed = await phone.evaluate(
    ([s, email]) => fetch('/checkout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lines: [{ slug: s, qty: 1 }], email }) }).then((r) => r.json()),
    [slug, EMAIL] as const,
  )
  const orderId = String(placed.order_id)
  const order = (await demo.collector.waitFor((e) => e.event === 'Order Completed', 15_000)) as Ev
  expect(order).toMatchObject({ anonymousId: A, messageId: `shopify-order-${orderId}`, context: { traits: { email: EMAIL } } })
  await demo.pollNow()
  await expect.poll(() => demo.collector.events().filter((e) => e.event === 'Email Link Clicked').length, { timeout: 20_000 }).toBe(1)
  const model = compareJourneys(readEvents(demo.collector.events() as Ev[]).events)
  const [o] = model.with.visitors.find((v) => v.id === A)!.orders
  expect(o!.order).toMatchObject({ emailClick: true, orderId })
})
