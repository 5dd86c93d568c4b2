/**
 * The bench's world: one Chromium, the Segment collector, the Klaviyo emulator and a storefront
 * site, all on 127.0.0.1 ephemeral ports. Like the e2e fixtures, `https://cdn.segment.com/*` is
 * routed to the collector and every other external host is refused; unlike them, CDN answers are
 * kept in memory after the first fetch, so hundreds of page loads do not pay a Playwright
 * round-trip to the collector each (the collector still serves the first copy of every asset).
 */
import { chromium, type Browser, type BrowserContext } from '@playwright/test'
import { chromiumLaunchOptions } from '../../scripts/browser'
import { startEmulators, stopEmulators, type Emulators } from '../../e2e/support/emulators'
import { routeOffline, storefrontPage, type CdnAnswer, type StorefrontOptions } from '../../e2e/support/storefront'

export const WRITE_KEY = 'wk_bench'
export { COMPANY_ID, LIST_ID } from '../../e2e/support/emulators'
export { shopifyNewsletterForm } from '../../e2e/support/storefront'

/** The bench's world: the emulators and one Chromium. */
export interface Stack extends Emulators {
  browser: Browser
  chromiumVersion: string
  /**
   * A fresh "device" (browser context) with the CDN routed to the collector, all else blocked.
   * Timing rows call `context.unrouteAll()` once analytics.js is in: Playwright intercepts every
   * request (local ones too) while any route is set, which loads the browser process that also
   * answers the page's synchronous cookie IPC.
   */
  device(): Promise<BrowserContext>
  /** A storefront page: optional tag before the snippet, the real Segment snippet, optional tag after. */
  storefront(o: StorefrontOptions): string
  close(): Promise<void>
}

export async function startStack(): Promise<Stack> {
  const [emulators, browser] = await Promise.all([
    startEmulators(),
    (() => {
      const o = chromiumLaunchOptions()
      // Belt and braces: no external host even resolves (routed CDN requests never reach DNS),
      // so pages stay offline even while a timing measurement has lifted the Playwright routes.
      // --expose-gc: the churn row collects garbage between its timed chunks (nothing else calls it).
      const extra = ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost, EXCLUDE *.localhost', '--js-flags=--expose-gc']
      return chromium.launch({ ...o, args: [...o.args, ...extra], headless: true })
    })(),
  ])
  const cdnCache = new Map<string, Promise<CdnAnswer>>()
  const contexts = new Set<BrowserContext>()
  const stack: Stack = {
    ...emulators,
    browser,
    chromiumVersion: browser.version(),
    async device() {
      const context = await browser.newContext()
      contexts.add(context)
      context.on('close', () => contexts.delete(context))
      await routeOffline(context, { collectorUrl: emulators.collector.url, cdnCache })
      return context
    },
    storefront: (o) => storefrontPage(WRITE_KEY, o),
    async close() {
      await Promise.all([...contexts].map((c) => c.close().catch(() => {})))
      await browser.close().catch(() => {})
      await stopEmulators(emulators)
    },
  }
  return stack
}

/** Run one bench row on its own (`node --import tsx bench/<row>.ts`): a fresh stack, the result printed as JSON. */
export async function runAlone(moduleUrl: string, row: (stack: Stack) => Promise<unknown>): Promise<void> {
  if (moduleUrl !== `file://${process.argv[1]}`) return
  const stack = await startStack()
  try {
    console.log(JSON.stringify(await row(stack), null, 1))
  } finally {
    await stack.close()
  }
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
