// A browser that lost its storage (Safari deletes script-written cookies and localStorage after 7
// days without a visit; shared/research/itp.md) keeps the store's server-set `cart` cookie, and
// with it the cart's `mailstitch_anonymous_id`. This joins the browser's new anonymousId back to
// that visitor: one `track('Visitor Linked', { bridge_id, source: 'cart' })` on the browser's id
// (CONTRACT.md, "A browser that lost its storage"), so Segment can join the two ids.
import { VISITOR_LINKED } from '../shared/email-events'
import { readStored, writeStored } from '../browser/core/storage'

type Analytics = {
  ready?(cb: () => void): unknown
  user?(): { anonymousId?(): string | null; id?(): string | null; traits?(): { email?: unknown } | undefined } | undefined
  track?(...args: unknown[]): unknown
}

/** localStorage key remembering the last link sent: `{ a: anonymousId, b: bridge id }`. */
export const CART_LINK_KEY = 'mst_cart_link'

/**
 * Send `Visitor Linked` once per (browser id, bridge id), after `started` (the SDK's start-up,
 * which includes an email link's landing decision: a purged browser landing through a link
 * adopts the cart's bridge id, and then has nothing to link) and after analytics.js has loaded,
 * unless the browser already is that visitor or is identified (a userId, or an email trait: it
 * may be someone else). The caller has checked consent. Never throws.
 */
export function linkCartVisitor(bridgeId: string, log: (...args: unknown[]) => void = () => {}, started?: Promise<unknown>): void {
  if (!started) return link(bridgeId, log)
  started.then(() => link(bridgeId, log), () => link(bridgeId, log))
}

function link(bridgeId: string, log: (...args: unknown[]) => void): void {
  try {
    const a = (window as { analytics?: Analytics }).analytics
    if (!a?.ready) return
    a.ready(() => {
      try {
        // `ready` runs once analytics.js has loaded and read its stored user.
        const loaded = (window as { analytics?: Analytics }).analytics
        const user = loaded?.user?.()
        const anonymousId = user?.anonymousId?.()
        if (!anonymousId || anonymousId === bridgeId) return
        if (user?.id?.() || user?.traits?.()?.email) return log('cart bridge id not linked: this browser is identified', bridgeId)
        const last = readStored<{ a?: unknown; b?: unknown }>(CART_LINK_KEY)
        if (last?.a === anonymousId && last?.b === bridgeId) return
        writeStored(CART_LINK_KEY, { a: anonymousId, b: bridgeId })
        loaded?.track?.(VISITOR_LINKED, { bridge_id: bridgeId, source: 'cart' })
        log('visitor linked to the cart bridge id', bridgeId)
      } catch { /* third-party object */ }
    })
  } catch { /* never break the page */ }
}
