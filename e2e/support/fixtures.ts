import { test as base, expect, type BrowserContext, type Page } from '@playwright/test'
import { startSegmentCollector, type SegmentCollector } from '../../sandbox/segment-collector'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../../sandbox/klaviyo-emulator'
import { startSite, type Site } from './site'
import { segmentSnippet } from './snippet'

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
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, async (route) => {
    const u = new URL(route.request().url())
    try {
      if (!blockAnalytics && (u.hostname === 'cdn.segment.com' || u.hostname === 'api.segment.io')) {
        const response = await route.fetch({ url: collectorUrl + u.pathname + u.search })
        return await route.fulfill({ response })
      }
      return await route.abort('blockedbyclient')
    } catch {
      // The device (context) was closed while this request was in flight: nothing to answer.
    }
  })
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
      scriptTag(attrs = {}) {
        const all: Record<string, string> = {
          'data-klaviyo-company-id': COMPANY_ID,
          'data-klaviyo-list-id': LIST_ID,
          'data-klaviyo-api-base': klaviyo.url,
          ...attrs,
        }
        return `<script src="/dist/mailstitch.min.js" ${Object.entries(all).map(([k, v]) => `${k}="${v}"`).join(' ')}></script>`
      },
      storefront({ before = '', after = '', body = '', snippet = true, title = 'Store' }) {
        return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${before}${snippet ? segmentSnippet(WRITE_KEY) : ''}${after}</head><body>${body}</body></html>`
      },
    }
    await use(stack)
    await Promise.all(contexts.map((c) => c.close().catch(() => {})))
    await Promise.all([collector.close(), klaviyo.close(), site.close()])
  },
})

/** The page's Segment anonymousId, once analytics.js has loaded. */
export async function anonymousIdOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const w = window as unknown as { analytics: { ready(cb: () => void): void; user(): { anonymousId(): string } } }
        w.analytics.ready(() => resolve(w.analytics.user().anonymousId()))
      }),
  )
}
