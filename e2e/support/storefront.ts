/**
 * The storefront world the e2e fixtures and the benchmarks share: the offline routing of a
 * browser context (Segment's CDN and API go to the local collector, every other external host is
 * refused), the mailstitch script tag and storefront pages.
 */
import type { BrowserContext, Route } from '@playwright/test'
import { segmentSnippet } from './snippet'

export { shopifyNewsletterForm } from './shopify-form'

/** Any URL whose host is not 127.0.0.1, localhost or a *.localhost name. */
const NON_LOCAL = /^https?:\/\/(?!(?:127\.0\.0\.1|localhost|[a-z0-9-]+\.localhost)[:/])/

/** Segment hosts answered by the local collector. */
const SEGMENT_HOSTS = new Set(['cdn.segment.com', 'api.segment.io'])

/** A CDN answer kept in memory (see {@link OfflineOptions.cdnCache}). */
export interface CdnAnswer {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/** Options of {@link routeOffline}. */
export interface OfflineOptions {
  /** Base URL of the local Segment collector. */
  collectorUrl: string
  /** Refuse Segment's hosts too: a page whose analytics.js never loads. */
  blockAnalytics?: boolean
  /**
   * Keep CDN GET answers here after the first fetch (benchmarks: hundreds of page loads need not
   * each pay a round-trip to the collector).
   */
  cdnCache?: Map<string, Promise<CdnAnswer>>
}

/** Route Segment's CDN and API to the collector and refuse every other non-local host. */
export async function routeOffline(context: BrowserContext, o: OfflineOptions): Promise<void> {
  await context.route(NON_LOCAL, async (route) => {
    const u = new URL(route.request().url())
    try {
      if (o.blockAnalytics || !SEGMENT_HOSTS.has(u.hostname)) return await route.abort('blockedbyclient')
      const path = u.pathname + u.search
      if (o.cdnCache && u.hostname === 'cdn.segment.com' && route.request().method() === 'GET') {
        const r = await cachedCdn(o.cdnCache, route, o.collectorUrl, path)
        return await route.fulfill({ status: r.status, headers: r.headers, body: r.body })
      }
      const response = await route.fetch({ url: o.collectorUrl + path })
      return await route.fulfill({ response })
    } catch {
      // The device (context) was closed while this request was in flight, or the collector did
      // not answer: the request fails in the page like any unreachable host.
      await route.abort('failed').catch(() => {})
    }
  })
}

function cachedCdn(cache: Map<string, Promise<CdnAnswer>>, route: Route, collectorUrl: string, path: string): Promise<CdnAnswer> {
  let hit = cache.get(path)
  if (!hit) {
    hit = route.fetch({ url: collectorUrl + path }).then(async (r) => ({ status: r.status(), headers: r.headers(), body: await r.body() }))
    cache.set(path, hit)
    hit.catch(() => cache.delete(path))
  }
  return hit
}

/** The mailstitch script tag (data attributes per the README) pointing at the built bundle. */
export function scriptTag(klaviyo: { apiBase: string; companyId: string; listId: string }, attrs: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    'data-klaviyo-company-id': klaviyo.companyId,
    'data-klaviyo-list-id': klaviyo.listId,
    'data-klaviyo-api-base': klaviyo.apiBase,
    ...attrs,
  }
  return `<script src="/dist/mailstitch.min.js" ${Object.entries(all).map(([k, v]) => `${k}="${v}"`).join(' ')}></script>`
}

/** What a storefront page holds around the Segment snippet. */
export interface StorefrontOptions {
  /** Markup before the snippet (e.g. the mailstitch tag loaded first). */
  before?: string
  /** Markup after the snippet. */
  after?: string
  body?: string
  /** Include the real Segment snippet (default true). */
  snippet?: boolean
  /** Extra markup at the start of <head>. */
  head?: string
  title?: string
}

/** A storefront page: optional tag before the snippet, the real Segment snippet, optional tag after. */
export function storefrontPage(writeKey: string, { before = '', after = '', body = '', snippet = true, head = '', title = 'Store' }: StorefrontOptions): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}${before}${snippet ? segmentSnippet(writeKey) : ''}${after}</head><body>${body}</body></html>`
}
