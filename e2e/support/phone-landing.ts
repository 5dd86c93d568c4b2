/**
 * An email-link landing under phone conditions, shared by e2e/landing-phone.spec.ts and the
 * bench's phone rows (bench/landing-phone.ts): the CPU slowed down 4× through CDP (as
 * Lighthouse's mobile preset does: `Emulation.setCPUThrottlingRate`), analytics.js served at once
 * (straight from the local collector, no routing), and the mailstitch file(s) answered 250 ms
 * later than asked (a cold CDN edge, a slow radio). This is the race issue 19 measured: an async
 * analytics.js that is ready runs while the parser still waits for a blocking tag.
 *
 * Each landing is a fresh device (browser context) on its own path, `/phone/<n>`, so landings can
 * run side by side against one collector: an event belongs to a landing by its page path.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from '@playwright/test'
import type { SegmentCollector } from '../../sandbox/segment-collector'
import type { Site } from './site'
import { segmentSnippet } from './snippet'
import { COMPANY_ID, LIST_ID, type Emulators } from './emulators'
import { npmAppBundle, npmAppPage } from './npm-app'

/** Phone conditions of issue 19. */
export const PHONE = { cpuSlowdown: 4, lateMs: 250 } as const

const ROOT = resolve(import.meta.dirname, '../..')

/**
 * How late the site answers a mailstitch file: `lateMs` after it was asked (issue 19's 250 ms),
 * or `'first-event'`: only once analytics.js has sent the landing page's first event to Segment
 * (the race lost for sure, whatever the machine: what a tag placed too late meets).
 */
export type Lateness = number | 'first-event'

/**
 * Serve the built files late under `/late/<lateness>/dist/<file>` (the runner's address follows
 * the core's, so it is late too) and `/late/<lateness>/app/<path>` for scripts given here (an
 * app bundle holding the npm build). No Playwright routing is involved: with a route set,
 * Playwright intercepts every request of the page, which is itself a delay on analytics.js.
 */
export function serveLate(site: Site, collector: SegmentCollector, scripts: Record<string, string> = {}): void {
  site.route('GET', '/late/*', async (req) => {
    const [, , lateness, kind, ...rest] = req.url.pathname.split('/')
    const file = rest.join('/')
    if (lateness === 'first-event') {
      const landing = new URL(String(req.headers.referer ?? 'http://x/')).pathname
      await collector.waitFor((e) => pathOf(e as Ev) === landing, 30_000).catch(() => {})
    } else await sleep(Number(lateness))
    const body = kind === 'dist' && /^[\w.-]+\.js$/.test(file) ? readFileSync(resolve(ROOT, 'dist', file)) : scripts['/' + file]
    if (body === undefined) return { status: 404, body: 'not found' }
    return { headers: { 'content-type': 'application/javascript' }, body }
  })
}

/** A storefront page whose Segment snippet loads analytics.js straight from the collector (no routing), with `before`/`after` around it. */
export function phonePage(writeKey: string, collector: SegmentCollector, o: { before?: string; after?: string; head?: string; body?: string }): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Product</title>${o.head ?? ''}${o.before ?? ''}${segmentSnippet(writeKey, { cdn: collector.url })}${o.after ?? ''}</head><body>${o.body ?? '<h1>Product</h1>'}</body></html>`
}

type Ev = Record<string, any>

/** What one landing sent. */
export interface PhoneLanding {
  token: string
  /** Events of this landing that reached Segment. */
  events: Ev[]
  /** Of those, how many carry another anonymousId than the token. */
  underOtherId: number
  /** Of those, how many carry the link parameter in any URL field (`url`, `search`, `referrer`, anywhere). */
  withToken: number
  /** The landing's `Email Link Landed` event. */
  landed?: Ev
  /**
   * Navigation start → the `Email Link Landed` call (its timestamp, taken as the decision is
   * made): how long the landing's events were held where the snippet could not decide (the
   * holds count from the core's start: core/delivery.ts).
   */
  decidedAfterMs?: number
  /** A harness failure (the page never sent its page event): counted, never hidden. */
  error?: string
}

/** Options of {@link phoneLanding}. */
export interface PhoneLandingOptions {
  browser: Browser
  collector: SegmentCollector
  /** The landing page's URL, with the token in its `mst` parameter. */
  url: string
  token: string
  /** How long to wait for the page event and `Email Link Landed` (default 15 s). */
  timeoutMs?: number
  /** Runs on the page before it navigates (e.g. a consent answer). */
  prepare?(page: Page, context: BrowserContext): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The path an event was sent from (analytics-next puts the page context on every event). */
const pathOf = (e: Ev): string => String(e.context?.page?.path ?? e.properties?.path ?? '')

/** One landing under phone conditions: what reached the collector from it. */
export async function phoneLanding(o: PhoneLandingOptions): Promise<PhoneLanding> {
  const path = new URL(o.url).pathname
  const context = await o.browser.newContext()
  const mine = () => o.collector.events().filter((e) => pathOf(e) === path) as Ev[]
  try {
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: PHONE.cpuSlowdown })
    await o.prepare?.(page, context)
    await page.goto(o.url)
    const deadline = Date.now() + (o.timeoutMs ?? 15_000)
    // Positive signals first: the page's own page event and the landing's report.
    while (Date.now() < deadline && !(mine().some((e) => e.type === 'page') && mine().some((e) => e.event === 'Email Link Landed'))) await sleep(50)
    // What analytics.js still had in flight then (its Segment requests) lands within a moment.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200))).catch(() => {})
    const timeOrigin = await page.evaluate(() => performance.timeOrigin).catch(() => NaN)
    const events = mine()
    const result: PhoneLanding = {
      token: o.token,
      events,
      underOtherId: events.filter((e) => e.anonymousId !== o.token).length,
      withToken: events.filter((e) => /[?&]mst=/.test(JSON.stringify(e))).length,
      landed: events.find((e) => e.event === 'Email Link Landed'),
    }
    if (result.landed) result.decidedAfterMs = Math.round(Date.parse(result.landed.timestamp) - timeOrigin)
    if (!events.some((e) => e.type === 'page')) result.error = 'no page event'
    else if (!result.landed) result.error = 'no Email Link Landed'
    return result
  } catch (e) {
    return { token: o.token, events: mine(), underOtherId: NaN, withToken: NaN, error: String(e).slice(0, 200) }
  } finally {
    await context.close().catch(() => {})
  }
}

/** Run `count` landings, `parallel` at a time (each its own device). */
export async function phoneLandings(count: number, parallel: number, one: (n: number) => Promise<PhoneLanding>): Promise<PhoneLanding[]> {
  const results: PhoneLanding[] = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const n = next++
      results[n] = await one(n)
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
  return results
}

/** One line per landing that went wrong, for a failing assertion's message. */
export function describeLeaks(landings: PhoneLanding[]): string {
  return landings
    .filter((l) => l.error || l.underOtherId !== 0 || l.withToken !== 0)
    .map((l) => `${l.token}: ${l.error ?? ''} ${l.underOtherId} under another id, ${l.withToken} with the token: ${l.events.map((e) => `${e.type}${e.event ? ' ' + e.event : ''}@${String(e.anonymousId).slice(0, 8)}`).join(', ')}`)
    .join('\n')
}

/** `snippet()` of the built package (dist/snippet.mjs), as a site's server renders it. */
export async function builtSnippet(): Promise<typeof import('../../src/snippet/index').snippet> {
  const built = (await import(resolve(ROOT, 'dist/snippet.mjs'))) as typeof import('../../src/snippet/index')
  return built.snippet
}

/**
 * Shopify's app embed where the Customer Privacy API is still loading when the page starts (the
 * usual storefront case): the landing's events wait for the core, its runner and the API.
 */
export const CONSENT_LOADING = 'Shopify app embed, consent API loading'
/**
 * Every documented placement of mailstitch (README), as phone landings exercise them (the e2e
 * tests and the bench's phone rows); the Shopify app embed both with its consent API loaded and
 * still loading.
 */
export const PLACEMENTS = ['inline snippet before', 'inline snippet after', 'plain tag before', 'Shopify app embed', CONSENT_LOADING, 'npm'] as const
/** One placement. */
export type Placement = (typeof PLACEMENTS)[number]

/** Shopify's Customer Privacy API as a store without a consent banner has it: loaded, everything allowed (docs/shopify.md). */
const SHOPIFY_PRIVACY = `<script>window.Shopify={customerPrivacy:{analyticsProcessingAllowed:function(){return true},marketingAllowed:function(){return true}}}</script>`

/**
 * The same API as a storefront usually has it in <head>: not loaded yet. Scripts load it with
 * `Shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], callback)`
 * (https://shopify.dev/docs/api/customer-privacy#loading-the-customer-privacy-api), which fetches
 * it from Shopify's CDN: here it is there 300 ms after the first call, everything allowed.
 */
const SHOPIFY_PRIVACY_LOADING = `<script>window.Shopify={loadFeatures:function(features,callback){var shopify=window.Shopify;shopify.loading=shopify.loading||new Promise(function(resolve){setTimeout(function(){shopify.customerPrivacy={analyticsProcessingAllowed:function(){return true},marketingAllowed:function(){return true}};resolve()},300)});shopify.loading.then(function(){callback()})}}</script>`

/**
 * Serve landing pages for `placement` under `/phone/<placement>/<n>` with the mailstitch file(s)
 * `lateness` late; returns that path's prefix. The inline snippet is the built package's.
 */
export async function servePlacement(stack: Emulators, writeKey: string, placement: Placement, lateness: Lateness = PHONE.lateMs): Promise<string> {
  const late = `/late/${lateness}`
  serveLate(stack.site, stack.collector, { '/npm-app.js': await npmAppBundle() })
  const snippet = await builtSnippet()
  const options = { src: `${late}/dist/mailstitch.min.js`, klaviyoCompanyId: COMPANY_ID, klaviyoListId: LIST_ID, klaviyoApiBase: stack.klaviyo.url }
  const inline = (extra = {}) => `<script>${snippet({ ...options, ...extra })}</script>`
  const html: Record<Placement, () => string> = {
    'inline snippet before': () => phonePage(writeKey, stack.collector, { before: inline() }),
    'inline snippet after': () => phonePage(writeKey, stack.collector, { after: inline() }),
    'plain tag before': () => phonePage(writeKey, stack.collector, { before: stack.scriptTag().replace('/dist/', `${late}/dist/`) }),
    // Shopify renders the app embed just before </head>, after the theme's snippet and scripts, with its default consent mode.
    'Shopify app embed': () => phonePage(writeKey, stack.collector, { head: SHOPIFY_PRIVACY, after: '<script src="/theme.js" defer></script>' + inline({ consent: 'shopify' }) }),
    'Shopify app embed, consent API loading': () => phonePage(writeKey, stack.collector, { head: SHOPIFY_PRIVACY_LOADING, after: '<script src="/theme.js" defer></script>' + inline({ consent: 'shopify' }) }),
    npm: () => npmAppPage({ writeKey, cdnURL: stack.collector.url, klaviyoBase: stack.klaviyo.url, companyId: COMPANY_ID }).replace('src="/npm-app.js"', `src="${late}/app/npm-app.js"`),
  }
  const prefix = `/phone/${placement.replace(/\W+/g, '-')}/`
  stack.site.route('GET', prefix + '*', () => ({ headers: { 'content-type': 'text/html' }, body: html[placement]() }))
  return prefix
}
