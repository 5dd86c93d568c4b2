/**
 * mailstitch's web pixel: on `checkout_completed`, send the order to Segment's HTTP API as
 * `Order Completed` (or `Order Linked`, per the `orders` setting), keyed by the bridge id in
 * `checkout.attributes` (`mailstitch_anonymous_id`), with the same messageId as the relay's order
 * webhook so Segment keeps one of the two. The mapping is mailstitch's src/shared/shopify-order.ts.
 * Events: https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed
 *
 * A checkout without the attribute (an express checkout from a product page, a cart the add-on
 * never saw) falls back to the bridge id the browser SDK stored on the storefront: its `mst_state`
 * cookie, read through the standard API's `browser.cookie.get`, which runs in the top frame
 * (https://shopify.dev/docs/api/web-pixels-api/standard-api/browser). The messageId is the same.
 */
import type { ExtensionApi } from '@shopify/web-pixels-extension'
import { mapCheckoutCompleted, type ShopifyOrderMessage } from '../../../../../src/shared/shopify-order'
import { version } from '../../../../../src/shared/version'
import { STATE_COOKIE_NAME, bridgeIdFromStateCookie } from '../../../../../src/shared/stored-bridge'

/** `context.library.name` of what the pixel sends. */
export const PIXEL_NAME = 'mailstitch-pixel'
/** Segment's US endpoint; EU workspaces use https://events.eu1.segmentapis.com. */
export const DEFAULT_SEGMENT_API_HOST = 'https://api.segment.io'
/** Attempts per order (network errors, 429, 5xx), with 1 s then 2 s between them. */
const ATTEMPTS = 3

type Privacy = ExtensionApi['init']['customerPrivacy']
/** The part of the pixel API the pixel uses. */
export type PixelApi = Pick<ExtensionApi, 'analytics' | 'init' | 'settings'> & Partial<Pick<ExtensionApi, 'customerPrivacy' | 'browser'>>

/** Start listening; returns nothing and never throws into the pixel manager. */
export function startMailstitchPixel(api: PixelApi, send: typeof fetch = fetch): void {
  const writeKey = typeof api.settings?.segmentWriteKey === 'string' ? api.settings.segmentWriteKey.trim() : ''
  if (!writeKey) return
  const host = (typeof api.settings.segmentApiHost === 'string' && api.settings.segmentApiHost.trim()) || DEFAULT_SEGMENT_API_HOST
  const endpoint = `${host.trim().replace(/\/+$/, '')}/v1/batch`
  const mode = api.settings.orders === 'link' ? 'link' : 'completed'

  // Shopify loads the pixel only with the permissions its TOML asks for; the pixel checks again
  // (a merchant may loosen the TOML) and follows a decision made while it runs.
  let allowed = consented(api.init?.customerPrivacy)
  let waiting: ShopifyOrderMessage | undefined
  api.customerPrivacy?.subscribe('visitorConsentCollected', (event) => {
    allowed = consented(event?.customerPrivacy)
    if (!allowed) waiting = undefined
    if (allowed && waiting) {
      void deliver(waiting)
      waiting = undefined
    }
  })

  api.analytics.subscribe('checkout_completed', (event) => {
    void onCheckoutCompleted(event)
  })

  async function onCheckoutCompleted(event: unknown): Promise<void> {
    try {
      const library = { name: PIXEL_NAME, version }
      let mapped = mapCheckoutCompleted(event, { mode, library })
      if (!mapped.ok && mapped.reason === 'no_order_id') return
      if (!mapped.ok || !mapped.message.anonymousId) {
        // No attribute on the checkout: the bridge id stored in this browser, if any, keys the order.
        const stored = await storedBridgeId(api.browser)
        if (stored) mapped = mapCheckoutCompleted(event, { mode, library, storedBridgeId: stored })
      }
      if (!mapped.ok) return // neither a bridge id nor a customer: nothing to key it to
      if (allowed) void deliver(mapped.message)
      else waiting = mapped.message // kept in memory only, sent if the visitor allows it on this page
    } catch {
      // never throw into the pixel manager
    }
  }

  async function deliver(message: ShopifyOrderMessage): Promise<void> {
    // text/plain with the write key in the body, as analytics.js does: no CORS preflight.
    const body = JSON.stringify({ batch: [message], writeKey, sentAt: new Date().toISOString() })
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const response = await send(endpoint, { method: 'POST', keepalive: true, headers: { 'Content-Type': 'text/plain' }, body })
        if (response.ok) return
        if (response.status !== 429 && response.status < 500) return // refused for good (bad key, bad event)
      } catch {
        // network error: retry
      }
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 1000 * attempt))
    }
  }
}

/** The bridge id in the storefront's `mst_state` cookie; undefined when absent, unreadable, or the API is missing. */
async function storedBridgeId(browser: PixelApi['browser']): Promise<string | undefined> {
  try {
    return bridgeIdFromStateCookie(await browser?.cookie?.get(STATE_COOKIE_NAME))
  } catch {
    return undefined
  }
}

function consented(privacy: Partial<Privacy> | undefined): boolean {
  return !!privacy && privacy.analyticsProcessingAllowed === true && privacy.marketingAllowed === true
}
