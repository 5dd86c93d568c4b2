/**
 * Segment blocked by an ad blocker at capture (issue 21, item 4; bench row 9): the laptop's
 * analytics.js never loads (its request aborted as an ad blocker does) while the shopper signs up
 * in the footer form, so mailstitch mints the anonymousId analytics-next would have made and
 * stores it where analytics.js reads it; the Klaviyo profile gets it at once. Later, the blocker
 * lifted, analytics.js loads on the next page under that same id and the capture's identify and
 * Email Captured reach Segment once. The email's link opened on the phone adopts the id, and the
 * Shopify order placed there is credited to the email click in the journey viewer's model.
 */
import { test, expect, type Browser } from '@playwright/test'
import type { Demo } from '../sandbox/demo'
import { readEvents } from '../src/journey/events'
import { compareJourneys } from '../src/journey/model'
import { startTestDemo, anonymousIdOf, campaignLinkForOtherDevice, demoDevice, nextSecond, openEmailLink, placeOrder } from './support/demo-walk'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ev = Record<string, any>
const EMAIL = 'blocked@example.com'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
/** analytics.js as the Segment snippet loads it (from the collector's CDN stand-in). */
const ANALYTICS_JS = /\/analytics\.js\/v1\/[^/]+\/analytics\.min\.js/

const device = (browser: Browser) => demoDevice(browser, { viewport: { width: 1360, height: 900 } })

let demo: Demo

test.beforeEach(async () => {
  demo = await startTestDemo({ checkout: 'shopify' })
})

test.afterEach(() => demo?.close())

test('analytics.js blocked at signup: the minted id reaches Klaviyo, Segment once analytics.js loads, and the order after the email click is credited', async ({ browser }) => {
  // --- Laptop, with an ad blocker: analytics.js is refused, the snippet's stub stays.
  const laptop = await device(browser)
  const block = (route: { abort(code: string): Promise<void> }) => route.abort('blockedbyclient')
  await laptop.route(ANALYTICS_JS, block)
  const page = await laptop.newPage()
  await page.goto(demo.urls.store + '/')
  await page.fill('#NewsletterForm--footer', EMAIL)
  await Promise.all([page.waitForURL('**?customer_posted=true*'), page.click('#Subscribe')])

  // The page after the post runs the job: after the wait for analytics.js, an id is minted.
  await expect.poll(() => demo.klaviyo.store.findProfile({ email: EMAIL })?.properties.segment_anonymous_id, { timeout: 20_000 }).toMatch(UUID)
  const M = demo.klaviyo.store.findProfile({ email: EMAIL })!.properties.segment_anonymous_id as string
  expect(demo.klaviyo.store.findProfile({ email: EMAIL })!.anonymous_id).toBe(M)
  expect(await page.evaluate(() => localStorage.getItem('ajs_anonymous_id'))).toBe(JSON.stringify(M))
  expect(await page.evaluate(() => Boolean((window as { analytics?: { initialized?: boolean } }).analytics?.initialized))).toBe(false)
  expect(demo.collector.events().some((e) => e.type === 'identify')).toBe(false) // nothing reached Segment: it is blocked

  // --- The blocker lifted: the next page view loads analytics.js, which goes on under M.
  await laptop.unroute(ANALYTICS_JS, block)
  await page.goto(demo.urls.store + '/')
  expect(await anonymousIdOf(page)).toBe(M)
  const identify = (await demo.collector.waitFor((e) => e.type === 'identify' && (e.traits as Ev | undefined)?.email === EMAIL, 15_000)) as Ev
  const captured = (await demo.collector.waitFor((e) => e.event === 'Email Captured', 15_000)) as Ev
  expect([identify.anonymousId, captured.anonymousId]).toEqual([M, M])
  expect(identify.messageId).toMatch(/^mst-.+-i$/)
  expect(captured.messageId).toBe(identify.messageId.replace(/-i$/, '-t'))
  // Once: a further page view (its page event arrived) sends neither again.
  await page.goto(demo.urls.store + '/cart')
  await demo.collector.waitFor((e) => e.type === 'page' && e.anonymousId === M && String((e.context as Ev | undefined)?.page?.url).endsWith('/cart'), 15_000)
  expect(demo.collector.events().filter((e) => e.type === 'identify' && (e.traits as Ev | undefined)?.email === EMAIL)).toHaveLength(1)
  expect(demo.collector.events().filter((e) => e.event === 'Email Captured')).toHaveLength(1)

  // --- A campaign; its link opened on the phone adopts M.
  await nextSecond()
  const href = await campaignLinkForOtherDevice(demo, laptop, EMAIL)
  const phone = await openEmailLink(demo, await device(browser), href)
  expect(await anonymousIdOf(phone)).toBe(M)
  const landed = (await demo.collector.waitFor((e) => e.event === 'Email Link Landed', 15_000)) as Ev
  expect(landed).toMatchObject({ anonymousId: M, properties: { outcome: 'adopted' } })

  // --- The order on the phone (Shopify checkout, orders/create through the relay): credited.
  await phone.click('#add-to-cart')
  await placeOrder(phone, EMAIL)
  const orderId = new URL(phone.url()).searchParams.get('order')!
  const order = (await demo.collector.waitFor((e) => e.event === 'Order Completed', 15_000)) as Ev
  expect(order).toMatchObject({ anonymousId: M, properties: { order_id: orderId } })
  await demo.pollNow()
  await expect.poll(() => demo.collector.events().filter((e) => e.event === 'Email Link Clicked').length, { timeout: 20_000 }).toBe(1)
  const model = compareJourneys(readEvents(demo.collector.events() as Ev[]).events)
  const visitor = model.with.visitors.find((v) => v.id === M)!
  expect(visitor.orders[0]!.order).toMatchObject({ emailClick: true, orderId, lastTouch: { channel: 'email', via: 'email-click' } })
})
