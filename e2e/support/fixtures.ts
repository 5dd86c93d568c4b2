import { test as base, expect, type BrowserContext, type Page } from '@playwright/test'
import { startEmulators, stopEmulators, type Emulators } from './emulators'
import { anonymousIdOf } from './demo-walk'
import { routeOffline, storefrontPage } from './storefront'

export { expect }
export { COMPANY_ID, LIST_ID } from './emulators'
export const WRITE_KEY = 'wk_e2e'

/** Everything a storefront journey needs, fresh for each test. */
export interface Stack extends Emulators {
  /** A new "device": a browser context whose third-party traffic goes to the emulators. */
  device(opts?: { blockAnalytics?: boolean }): Promise<BrowserContext>
  /**
   * A new device's first page at `path` of the site and its Segment anonymousId, read by `idOf`
   * (default: from `window.analytics` once it has loaded).
   */
  visit(path: string, idOf?: (page: Page) => Promise<string>): Promise<{ page: Page; anonymousId: string }>
  /** A storefront page: optional tag before the snippet, the snippet, optional tag after. */
  storefront(o: { before?: string; after?: string; body?: string; snippet?: boolean; title?: string }): string
}

export { shopifyNewsletterForm } from './shopify-form'

/** Route the CDN and tracking hosts to the local collector; refuse every other non-local host. */
async function offline(context: BrowserContext, collectorUrl: string, blockAnalytics: boolean): Promise<void> {
  await routeOffline(context, { collectorUrl, blockAnalytics })
}

export const test = base.extend<{ stack: Stack }>({
  stack: async ({ browser }, use) => {
    const emulators = await startEmulators()
    const contexts: BrowserContext[] = []
    const stack: Stack = {
      ...emulators,
      async device(opts = {}) {
        const context = await browser.newContext()
        await offline(context, emulators.collector.url, !!opts.blockAnalytics)
        contexts.push(context)
        return context
      },
      async visit(path, idOf = anonymousIdOf) {
        const page = await (await stack.device()).newPage()
        await page.goto(emulators.site.url + path)
        return { page, anonymousId: await idOf(page) }
      },
      storefront: (o) => storefrontPage(WRITE_KEY, o),
    }
    await use(stack)
    await Promise.all(contexts.map((c) => c.close().catch(() => {})))
    await stopEmulators(emulators)
  },
})

export { anonymousIdOf }
