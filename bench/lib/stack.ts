/**
 * The bench's world: one Chromium, the Segment collector, the Klaviyo emulator and a storefront
 * site, all on 127.0.0.1 ephemeral ports. Like the e2e fixtures, `https://cdn.segment.com/*` is
 * routed to the collector and every other external host is refused; unlike them, CDN answers are
 * kept in memory after the first fetch, so hundreds of page loads do not pay a Playwright
 * round-trip to the collector each (the collector still serves the first copy of every asset).
 */
import { chromium, type Browser, type BrowserContext, type Route } from '@playwright/test'
import { chromiumLaunchOptions } from '../../scripts/browser'
import { startSegmentCollector, type SegmentCollector } from '../../sandbox/segment-collector'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../../sandbox/klaviyo-emulator'
import { startSite, type Site } from '../../e2e/support/site'
import { segmentSnippet } from '../../e2e/support/snippet'

export const WRITE_KEY = 'wk_bench'
export const COMPANY_ID = 'AbC123'
export const LIST_ID = 'XyZ789'

/** The Shopify newsletter form as Dawn's footer renders `{% form 'customer' %}` (as in the e2e fixtures). */
export const shopifyNewsletterForm = `
<form method="post" action="/contact#ContactFooter" id="ContactFooter" accept-charset="UTF-8" class="footer__newsletter newsletter-form">
  <input type="hidden" name="form_type" value="customer"><input type="hidden" name="utf8" value="✓">
  <input type="hidden" name="contact[tags]" value="newsletter">
  <input id="NewsletterForm--footer" type="email" name="contact[email]" required autocorrect="off" autocapitalize="off" autocomplete="email" placeholder="Email">
  <button type="submit" id="Subscribe">Subscribe</button>
</form>`

export interface Stack {
  browser: Browser
  collector: SegmentCollector
  klaviyo: KlaviyoEmulator
  site: Site
  chromiumVersion: string
  /**
   * A fresh "device" (browser context) with the CDN routed to the collector, all else blocked.
   * Timing rows call `context.unrouteAll()` once analytics.js is in: Playwright intercepts every
   * request (local ones too) while any route is set, which loads the browser process that also
   * answers the page's synchronous cookie IPC.
   */
  device(): Promise<BrowserContext>
  /** The contract's script tag pointing at the built bundle and the local Klaviyo emulator. */
  scriptTag(attrs?: Record<string, string>): string
  /** A storefront page: optional tag before the snippet, the real Segment snippet, optional tag after. */
  storefront(o: { before?: string; after?: string; body?: string; snippet?: boolean; head?: string; title?: string }): string
  close(): Promise<void>
}

export async function startStack(): Promise<Stack> {
  const [collector, klaviyo, site, browser] = await Promise.all([
    startSegmentCollector(),
    startKlaviyoEmulator(),
    startSite(),
    (() => {
      const o = chromiumLaunchOptions()
      // Belt and braces: no external host even resolves (routed CDN requests never reach DNS),
      // so pages stay offline even while a timing measurement has lifted the Playwright routes.
      // --expose-gc: the churn row collects garbage between its timed chunks (nothing else calls it).
      const extra = ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost, EXCLUDE *.localhost', '--js-flags=--expose-gc']
      return chromium.launch({ ...o, args: [...o.args, ...extra], headless: true })
    })(),
  ])
  const cdnCache = new Map<string, Promise<{ status: number; headers: Record<string, string>; body: Buffer }>>()
  const cdn = (url: URL, route: Route) => {
    const key = url.pathname + url.search
    let hit = cdnCache.get(key)
    if (!hit) {
      hit = route.fetch({ url: collector.url + key }).then(async (r) => ({ status: r.status(), headers: r.headers(), body: await r.body() }))
      cdnCache.set(key, hit)
      hit.catch(() => cdnCache.delete(key))
    }
    return hit
  }
  const contexts = new Set<BrowserContext>()
  const stack: Stack = {
    browser,
    collector,
    klaviyo,
    site,
    chromiumVersion: browser.version(),
    async device() {
      const context = await browser.newContext()
      contexts.add(context)
      context.on('close', () => contexts.delete(context))
      await context.route(/^https?:\/\/(?!(?:127\.0\.0\.1|localhost|[a-z0-9-]+\.localhost)[:/])/, async (route) => {
        const u = new URL(route.request().url())
        if (u.hostname === 'cdn.segment.com' && route.request().method() === 'GET') {
          try {
            const r = await cdn(u, route)
            return await route.fulfill({ status: r.status, headers: r.headers, body: r.body })
          } catch {
            return route.abort('failed').catch(() => {})
          }
        }
        return route.abort('blockedbyclient').catch(() => {})
      })
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
    storefront({ before = '', after = '', body = '', snippet = true, head = '', title = 'Store' }) {
      return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}${before}${snippet ? segmentSnippet(WRITE_KEY) : ''}${after}</head><body>${body}</body></html>`
    },
    async close() {
      await Promise.all([...contexts].map((c) => c.close().catch(() => {})))
      await browser.close().catch(() => {})
      await Promise.all([collector.close(), klaviyo.close(), site.close()])
    },
  }
  return stack
}

/** Run `fn` over `items` with at most `n` running at once; results keep the input order. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i], i)
      }
    }),
  )
  return out
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Poll `cond` until true or `timeoutMs` passes; returns whether it became true. */
export async function until(cond: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (cond()) return true
    await sleep(everyMs)
  }
  return cond()
}
