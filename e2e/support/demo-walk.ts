/**
 * Steps of the demo walk (docs/sandbox.md, "Walk it by hand") shared by the demo's e2e specs and
 * scripts/record-demo-journey.ts: a "device" that reaches only the demo's own hosts, the page's
 * Segment anonymousId, and a campaign sent from the email simulator whose link is taken to the
 * other device.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test'
import type { Demo } from '../../sandbox/demo'

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
