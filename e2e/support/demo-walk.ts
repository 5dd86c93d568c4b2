/**
 * Steps of the demo walk (docs/sandbox.md, "Walk it by hand") shared by the demo's e2e specs and
 * scripts/record-demo-journey.ts: a "device" that reaches only the demo's own hosts, the page's
 * Segment anonymousId, the laptop's anonymous visit and footer signup, the wait for Klaviyo's
 * next second, a campaign sent from the email simulator whose link is taken to the other device,
 * that link opened there, and an order placed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { Browser, BrowserContext, Page } from '@playwright/test'
import { startDemo, type Demo } from '../../sandbox/demo'
import type { DemoOptions } from '../../sandbox/demo/options'
import type { SegmentEvent } from '../../sandbox/segment-collector'

/**
 * The demo as its e2e specs run it: every port ephemeral, the relay polling each second, a fresh
 * data folder that `close()` removes too.
 */
export async function startTestDemo(options: DemoOptions = {}): Promise<Demo> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailstitch-demo-'))
  const removeData = () => rmSync(dataDir, { recursive: true, force: true })
  try {
    const demo = await startDemo({ ports: { store: 0, collector: 0, klaviyo: 0, console: 0 }, dataDir, relayIntervalSeconds: 1, ...options })
    return { ...demo, close: () => demo.close().finally(removeData) }
  } catch (error) {
    removeData()
    throw error
  }
}

/** A fresh "device" (browser context): nothing but the demo's own hosts is reachable. */
export async function demoDevice(browser: Browser, opts: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const context = await browser.newContext(opts)
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/, (route) => route.abort('blockedbyclient'))
  return context
}

/** The page's Segment anonymousId, once analytics.js has loaded. */
export function anonymousIdOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const w = window as unknown as { analytics: { ready(cb: () => void): void; user(): { anonymousId(): string } } }
        w.analytics.ready(() => resolve(w.analytics.user().anonymousId()))
      }),
  )
}

/** The laptop after its signup: the browser, the store page it is on, its Segment anonymousId. */
export interface Laptop {
  context: BrowserContext
  page: Page
  anonymousId: string
}

const pageUrlOf = (e: SegmentEvent) => String((e.context as { page?: { url?: string } } | undefined)?.page?.url ?? '')

/**
 * Device 1 (the laptop, on 127.0.0.1): the store's home page, optionally a product viewed
 * anonymously (its `Product Viewed` arrived), then `email` in the footer newsletter form: the
 * full-page post and the page it lands on, whose page view has arrived.
 */
export async function laptopSignup(demo: Demo, context: BrowserContext, email: string, product?: string): Promise<Laptop> {
  const page = await context.newPage()
  await page.goto(demo.urls.store + '/')
  const anonymousId = await anonymousIdOf(page)
  if (product) {
    await page.click(`a[data-product="${product}"]`)
    await page.waitForURL(`**/products/${product}`)
    await demo.collector.waitFor((e) => e.event === 'Product Viewed' && e.anonymousId === anonymousId, 15_000)
  }
  await page.fill('#NewsletterForm--footer', email)
  await Promise.all([page.waitForURL('**?customer_posted=true*'), page.click('#Subscribe')])
  await demo.collector.waitFor((e) => e.type === 'page' && e.anonymousId === anonymousId && pageUrlOf(e).includes('customer_posted=true'), 15_000)
  return { context, page, anonymousId }
}

/**
 * Klaviyo stamps events to the second: returns once the clock is in a later second than when it
 * was called, so what Klaviyo stamps from then on (a campaign sent next) sorts after every event
 * that had arrived before (a send within the signup's second would sort before the signup).
 */
export async function nextSecond(): Promise<void> {
  const next = (Math.floor(Date.now() / 1000) + 1) * 1000
  while (Date.now() < next) await delay(next - Date.now())
}

/**
 * In the email simulator (a new page of `context`): pick `email`'s profile, send the `template`
 * campaign, open it, and return its first link as rendered for "another device".
 */
export async function campaignLinkForOtherDevice(demo: Demo, context: BrowserContext, email: string, template = 'spring-linen'): Promise<string> {
  const inbox = await context.newPage()
  await inbox.goto(demo.urls.inbox)
  await inbox.locator('.profile', { hasText: email }).click()
  await inbox.click(`button[data-template="${template}"]`)
  await inbox.click('.open-email')
  await inbox.click('#device-other')
  const link = inbox.frameLocator('#email-frame').locator('a[data-link="0"]')
  const href = await link.getAttribute('href')
  if (!href || !/device=other$/.test(href)) throw new Error(`the email's first link is not for the other device: ${href}`)
  return new URL(href, demo.urls.console).toString()
}

/** Device 2 opens the email link: the page it lands on (the product, on the store's other host name). */
export async function openEmailLink(demo: Demo, context: BrowserContext, href: string, product = 'linen-overshirt'): Promise<Page> {
  const page = await context.newPage()
  await page.goto(href)
  await page.waitForURL(`${demo.urls.storeOtherDevice}/products/${product}?**`)
  return page
}

/** From a store page with something in the cart: the cart page, then the order placed (its thank-you page). */
export async function placeOrder(page: Page, email?: string): Promise<void> {
  await page.click('#cart-link')
  await page.waitForURL('**/cart')
  // A Shopify checkout (`--checkout shopify`) asks for the buyer's email.
  if (email !== undefined) await page.fill('#checkout-email', email)
  await Promise.all([page.waitForURL('**/thank-you?order=*'), page.click('#place-order')])
}
