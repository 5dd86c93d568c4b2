/**
 * The flagship: the whole demo (`startDemo`, ephemeral ports) walked in real Chromium, one
 * shopper on two devices: anonymous browse → email in the footer form → campaign sent, opened →
 * link clicked on "another device" (a second browser context on the other host name) → more
 * browsing → purchase. Then the collector's data must show one visitor, every relayed email
 * event keyed to it, the purchase credited to the email click, and no bridge token in any URL.
 *
 * UPDATE_SCREENSHOT=1 writes the journey viewer screenshot to docs/journey-viewer.png.
 */
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { startDemo, type Demo } from '../sandbox/demo'
import type { SegmentEvent } from '../sandbox/segment-collector'
import { readEvents, sourceOf } from '../src/journey/events'
import { compareJourneys } from '../src/journey/model'
import { startTestDemo, anonymousIdOf, demoDevice, laptopSignup, nextSecond, openEmailLink } from './support/demo-walk'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ev = Record<string, any>
const EMAIL = 'ada@example.com'
const ROOT = path.resolve(import.meta.dirname, '..')


/** Every string in `v` reachable under a key that names a URL-ish field, with its path. */
function urlFields(v: unknown, at = ''): Array<[string, string]> {
  if (Array.isArray(v)) return v.flatMap((x, i) => urlFields(x, `${at}[${i}]`))
  if (!v || typeof v !== 'object') return []
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
    typeof x === 'string' ? (/url|search|referrer|href|link|path/i.test(k) ? [[`${at}.${k}`, x] as [string, string]] : []) : urlFields(x, `${at}.${k}`),
  )
}

/** An event the relay sent (it names itself in context.library / context.integration). */
const isRelayed = (e: Ev | SegmentEvent) => sourceOf({ context: (e.context ?? {}) as Record<string, unknown>, properties: (e.properties ?? {}) as Record<string, unknown> }) === 'relay'

let demo: Demo

test.beforeEach(async () => {
  demo = await startTestDemo()
})

test.afterEach(() => demo?.close())

test('one shopper, two devices, one journey: email events stitched and the purchase credited to the email click', async ({ browser }, testInfo) => {
  const events = () => demo.collector.events() as Ev[]

  // --- Device 1 (laptop, 127.0.0.1): anonymous browsing, then the footer newsletter form.
  const laptop = await demoDevice(browser)
  const { page: shop, anonymousId: A } = await laptopSignup(demo, laptop, EMAIL, 'stoneware-mug')
  expect(shop.url()).toContain('/products/stoneware-mug?customer_posted=true')
  await expect(shop.locator('#subscribed')).toBeVisible()
  expect(demo.posts.at(-1)?.email).toBe(EMAIL) // the store got its form post, untouched
  await expect.poll(() => demo.klaviyo.store.findProfile({ email: EMAIL })?.properties.segment_anonymous_id, { timeout: 15_000 }).toBe(A)

  // --- The email simulator (on the laptop): send a campaign, open it, in a later second than the signup.
  await nextSecond()
  const inbox = await laptop.newPage()
  await inbox.goto(demo.urls.inbox)
  await inbox.locator('.profile', { hasText: EMAIL }).click()
  await expect(inbox.locator('.profile.on')).toContainText(A)
  await inbox.click('button[data-template="spring-linen"]')
  await inbox.click('.open-email')
  await expect(inbox.locator('#rendered-link')).toHaveText(new RegExp(`\\?mst=${A}$`))
  await inbox.click('#device-other')
  const link = inbox.frameLocator('#email-frame').locator('a[data-link="0"]')
  await expect(link).toHaveAttribute('href', /device=other$/)
  const href = new URL((await link.getAttribute('href'))!, demo.urls.console).toString()

  // --- Device 2 (phone, localhost: its own cookies): the email link, more browsing, the order.
  const p2 = await openEmailLink(demo, await demoDevice(browser), href)
  expect(p2.url()).not.toContain('mst=')
  expect(await anonymousIdOf(p2)).toBe(A)
  await p2.click('#add-to-cart')
  await p2.click('a.card[href="/products/waxed-canvas-tote"]')
  await p2.waitForURL('**/products/waxed-canvas-tote')
  await p2.click('#add-to-cart')
  await p2.click('#cart-link')
  await p2.waitForURL('**/cart')
  await expect(p2.locator('#cart-total')).toHaveText('$110.00')
  await Promise.all([p2.waitForURL('**/thank-you?order=*'), p2.click('#place-order')])
  await demo.collector.waitFor((e) => e.event === 'Order Completed', 15_000)
  // The relay (polling every second) brings Received, Opened and Clicked Email into Segment.
  await demo.collector.waitFor((e) => e.event === 'Email Link Clicked', 20_000)
  await expect.poll(() => events().filter(isRelayed).length, { timeout: 15_000 }).toBe(3)

  // --- The collector's data.
  const all = events()
  const site = all.filter((e) => e.context?.library?.name === 'analytics.js')
  const relayed = all.filter(isRelayed)
  const onPhone = site.filter((e) => String(e.context?.page?.url).startsWith(demo.urls.storeOtherDevice))
  expect(onPhone.length).toBeGreaterThanOrEqual(8)
  // One anonymousId across both devices, and every relayed email event keyed to it.
  expect(new Set(all.map((e) => e.anonymousId))).toEqual(new Set([A]))
  expect(relayed.map((e) => e.event).sort()).toEqual(['Email Delivered', 'Email Link Clicked', 'Email Opened'])
  for (const e of relayed) {
    expect(e.anonymousId).toBe(A)
    expect(e.context.traits.email).toBe(EMAIL)
    expect(e.properties).toMatchObject({ provider: 'Klaviyo', campaign_name: 'Spring Linen Drop', email_subject: 'The Linen Overshirt is back' })
  }
  const landed = site.find((e) => e.event === 'Email Link Landed')
  expect(landed?.properties?.outcome).toBe('adopted')
  const order = site.find((e) => e.event === 'Order Completed')!
  expect(order).toMatchObject({ anonymousId: A, properties: { revenue: 110, currency: 'USD' } })
  expect(order.properties.products).toHaveLength(2)

  // The purchase is credited to the email click, first touch the anonymous visit on the laptop.
  const model = compareJourneys(readEvents(all).events)
  expect(model.with.visitors.map((v) => v.id)).toEqual([A])
  const [o] = model.with.visitors[0]!.orders
  expect(o!.order).toMatchObject({ emailClick: true, lastTouch: { channel: 'email', via: 'email-click', campaign: 'Spring Linen Drop' }, firstTouch: { channel: 'direct' } })
  expect(model.with.totals.orphanedEmailEvents).toBe(0)
  // Without mailstitch the same data has the email events orphaned and the phone a stranger.
  expect(model.without.totals).toMatchObject({ visitors: 3, orphanedEmailEvents: 3, emailClickOrders: 0 })

  // --- The journey viewer shows it.
  const viewerContext = await demoDevice(browser, { viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 })
  const viewer = await viewerContext.newPage()
  await viewer.goto(demo.urls.journey)
  await expect(viewer.locator('[data-summary="with"]')).toContainText('orders credited to an email click')
  await expect(viewer.locator('[data-summary="with"] .stat').nth(0)).toContainText('1')
  await expect(viewer.locator('[data-summary="without"] .stat').nth(1)).toContainText('3')
  await expect(viewer.locator('[data-col="with"] .visitor')).toHaveCount(1)
  await expect(viewer.locator('[data-col="with"] .callout.order')).toContainText('credited to the email click')
  await expect(viewer.locator('[data-col="without"] .visitor.orphan')).toContainText('ORPHANED · 3 email events')
  await expect(viewer.locator('[data-col="without"] .visitor.stranger')).toContainText('STRANGER')
  const shot = process.env.UPDATE_SCREENSHOT ? path.join(ROOT, 'docs', 'journey-viewer.png') : testInfo.outputPath('journey-viewer.png')
  await viewer.screenshot({ path: shot, fullPage: true })

  // Nothing that reached Segment carries the bridge token in a URL field: page url/search/referrer
  // of every site event, and the relayed click's link_url (Klaviyo records the rendered link).
  const leaks = all.flatMap((e) => urlFields(e).filter(([, v]) => /[?&]mst=/.test(v)).map(([k, v]) => `${e.event ?? e.type}${k}: ${v}`))
  expect(leaks).toEqual([])
})

test('the Klaviyo-style popup captures, and a link opened in the same browser is "same"', async ({ browser }) => {
  const laptop = await demoDevice(browser)
  const shop = await laptop.newPage()
  await shop.goto(demo.urls.store + '/products/merino-throw')
  const A = await anonymousIdOf(shop)
  const announced = shop.evaluate(
    () => new Promise((resolve) => window.addEventListener('klaviyoForms', (e) => (e as CustomEvent).detail.type === 'submit' && resolve((e as CustomEvent).detail))),
  )
  await shop.click('#kl-teaser')
  await shop.fill('#kl-email', 'Grace@Example.com ')
  await shop.click('#kl-submit')
  await expect(shop.locator('#kl-thanks')).toBeVisible()
  expect(await announced).toMatchObject({ type: 'submit', formId: 'Xy12Ab', metaData: { $email: 'Grace@Example.com' } })
  const captured = await demo.collector.waitFor((e) => e.event === 'Email Captured', 15_000)
  expect(captured).toMatchObject({ anonymousId: A, properties: { source: 'klaviyo-form', form_id: 'Xy12Ab' } })
  await expect.poll(() => demo.klaviyo.store.findProfile({ email: 'grace@example.com' })?.properties.segment_anonymous_id, { timeout: 15_000 }).toBe(A)

  const inbox = await laptop.newPage()
  await inbox.goto(demo.urls.inbox)
  await inbox.click('button[data-template="back-in-stock"]')
  await inbox.click('.open-email')
  // The link opens a new tab in the same browser (same cookies): the landing is "same".
  const [tab] = await Promise.all([laptop.waitForEvent('page'), inbox.frameLocator('#email-frame').locator('a[data-link="0"]').click()])
  await tab.waitForURL(`${demo.urls.store}/products/merino-throw?**`)
  expect(tab.url()).not.toContain('mst=')
  expect(await anonymousIdOf(tab)).toBe(A)
  const landed = await demo.collector.waitFor((e) => e.event === 'Email Link Landed', 15_000)
  expect(landed).toMatchObject({ anonymousId: A, properties: { outcome: 'same' } })
  await demo.collector.waitFor((e) => e.event === 'Email Link Clicked', 20_000)

  const viewer = await laptop.newPage()
  await viewer.goto(demo.urls.journey)
  await expect(viewer.locator('[data-col="with"] .callout.stitch')).toHaveText([/Email captured \(grace@example\.com\)/, /opened on D1 in the browser that subscribed/])
  await expect(viewer.locator('[data-summary="without"] .stat').nth(1)).toContainText('3')
})

test('demo pages show hostile data as text: an <img onerror> email, name and token', async ({ browser }) => {
  const evil = '"><img src=x onerror="window.__xss=1">'
  const context = await demoDevice(browser)
  // A site event with an attacker-chosen email trait and order id, straight from a page.
  const shop = await context.newPage()
  await shop.goto(demo.urls.store + '/')
  await shop.evaluate(
    (v) =>
      new Promise<void>((resolve) => {
        const a = (window as unknown as { analytics: { identify(t: object): void; track(e: string, p: object, o: object, cb: () => void): void } }).analytics
        a.identify({ email: `${v}@evil.test` })
        a.track('Order Completed', { order_id: v, revenue: 1 }, {}, () => resolve())
      }),
    evil,
  )
  await demo.collector.waitFor((e) => e.event === 'Order Completed', 15_000)
  // A Klaviyo profile written through the (public) client API can hold anything.
  const { profile } = demo.klaviyo.store.createOrUpdateProfile({ email: `x${Date.now()}@evil.test`, first_name: evil, properties: { segment_anonymous_id: evil } })
  await demo.mailer.send(profile.id, 'welcome')

  const viewer = await context.newPage()
  await viewer.goto(demo.urls.journey)
  await expect(viewer.locator('[data-col="with"]')).toContainText(`${evil}@evil.test`)
  await expect(viewer.locator('[data-col="with"]')).toContainText(`#${evil}`)

  const inbox = await context.newPage()
  await inbox.goto(demo.urls.inbox)
  await inbox.locator('.profile', { hasText: 'evil.test' }).first().click()
  await expect(inbox.locator('.profile.on')).toContainText(evil)
  await inbox.click('.open-email')
  const frame = inbox.frameLocator('#email-frame')
  await expect(frame.locator('h1')).toBeVisible()
  await expect(frame.locator('body')).toContainText(`Hi ${evil}, thanks`)
  expect(await inbox.locator('#rendered-link').textContent()).toContain(`mst=${evil}`)

  for (const page of [viewer, inbox]) {
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined()
    expect(await page.locator('img').count()).toBe(0)
  }
  expect(await frame.locator('img').count()).toBe(0)
})

test('a relay with a mistyped write key: Segment answers 200, the viewer shows its events as dropped', async ({ browser }) => {
  const { profile } = demo.klaviyo.store.createOrUpdateProfile({ email: 'typo@example.com', properties: { segment_anonymous_id: 'bridge-typo-0001' } })
  demo.klaviyo.store.recordEvent({ metricName: 'Opened Email', profileId: profile.id, time: new Date(Date.now() - 5_000), properties: { $message: 'M1', Subject: 'Hello' } })
  // Positive signal first: the correctly keyed relay delivered it.
  await demo.collector.waitFor((e) => e.event === 'Email Opened' && e.anonymousId === 'bridge-typo-0001', 20_000)
  const context = await demoDevice(browser)
  const viewer = await context.newPage()
  await viewer.goto(demo.urls.journey)
  const panel = viewer.locator('.foot.dropped')
  await expect(panel).toContainText('Dropped by Segment: 0 events')
  await panel.locator('button[data-action="mistyped"]').click()
  await expect(panel).toContainText('Dropped by Segment: 1 event (1 × unknown_write_key)')
  await expect(panel).toContainText('200 {"success":true}')
  await expect(viewer.locator('#status')).toContainText('1 dropped by Segment')
  expect(demo.collector.events().filter((e) => e.event === 'Email Opened')).toHaveLength(1)
})
