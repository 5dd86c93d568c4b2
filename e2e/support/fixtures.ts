import { test as base, expect, type BrowserContext } from '@playwright/test'
import { startSegmentCollector, type SegmentCollector } from '../../sandbox/segment-collector'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../../sandbox/klaviyo-emulator'
import { startSite, type Site } from './site'
import { routeOffline, scriptTag, storefrontPage } from './storefront'

export { expect }
export const WRITE_KEY = 'wk_e2e'
export const COMPANY_ID = 'AbC123'
export const LIST_ID = 'XyZ789'

/** Everything a storefront journey needs, fresh for each test. */
export interface Stack {
  collector: SegmentCollector
  klaviyo: KlaviyoEmulator
  site: Site
  /** A new "device": a browser context whose third-party traffic goes to the emulators. */
  device(opts?: { blockAnalytics?: boolean }): Promise<BrowserContext>
  /** The mailstitch script tag for this stack (data attributes per the contract). */
  scriptTag(attrs?: Record<string, string>): string
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
    const collector = await startSegmentCollector()
    const klaviyo = await startKlaviyoEmulator()
    const site = await startSite()
    const contexts: BrowserContext[] = []
    const stack: Stack = {
      collector,
      klaviyo,
      site,
      async device(opts = {}) {
        const context = await browser.newContext()
        await offline(context, collector.url, !!opts.blockAnalytics)
        contexts.push(context)
        return context
      },
      scriptTag: (attrs) => scriptTag({ apiBase: klaviyo.url, companyId: COMPANY_ID, listId: LIST_ID }, attrs),
      storefront: (o) => storefrontPage(WRITE_KEY, o),
    }
    await use(stack)
    await Promise.all(contexts.map((c) => c.close().catch(() => {})))
    await Promise.all([collector.close(), klaviyo.close(), site.close()])
  },
})

export { anonymousIdOf } from './demo-walk'
