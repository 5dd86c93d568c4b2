// Entry of dist/mailstitch-shopify.min.js (IIFE), loaded by the Shopify theme after
// mailstitch.min.js: the cart bridge and the logged-in customer id. Data attributes on its
// <script> tag: data-customer-id (Liquid `customer.id`, never the email), data-root
// (`routes.root_url`), data-consent (same value as on mailstitch.min.js), data-cart-bridge
// ("false" turns the bridge off), data-debug.
import type { Mailstitch } from '../browser/types'
import { gateFrom } from './consent'
import { startCartBridge, type CartBridge } from './cart-bridge'
import { identifyCustomer } from './customer'
import { linkCartVisitor } from './visitor-link'
import { readState } from '../browser/core/state'

/** What the add-on adds as `window.mailstitch.shopify`. */
export interface MailstitchShopify {
  /** Re-check the cart now (for themes whose cart changes the bridge cannot see). */
  sync(): Promise<void>
  /** Stop the cart bridge and the customer watcher. */
  destroy(): void
}

type Global = { mailstitch?: { instance?: Mailstitch; shopify?: MailstitchShopify }; __mailstitchShopify?: 1 }

/** How long the add-on waits for mailstitch.min.js to load and start before it goes on alone. */
const CORE_WAIT_MS = 10_000

/**
 * Resolves once the SDK's start-up is done (`instance.ready()`: a landing decided, the jobs a
 * form post left run), with whether there was one. Loaded by the inline snippet,
 * mailstitch.min.js (async) may still be on its way: then once it has run. A core that fails to
 * load: at its error, or after CORE_WAIT_MS.
 */
function coreStarted(w: Global): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const whenReady = () => {
      clearTimeout(timer)
      const instance = w.mailstitch?.instance
      if (instance) instance.ready().then(() => resolve(true), () => resolve(true))
      else resolve(false)
    }
    const core = document.querySelector<HTMLScriptElement>('script[src*="mailstitch.min.js"]')
    if (w.mailstitch?.instance || !core) return whenReady()
    core.addEventListener('load', whenReady)
    core.addEventListener('error', whenReady)
    timer = setTimeout(whenReady, CORE_WAIT_MS)
  })
}

try {
  const w = window as unknown as Global
  // Loaded twice (app embed plus theme snippet): the first copy stays in charge.
  if (!w.__mailstitchShopify) {
    w.__mailstitchShopify = 1
    const d = (document.currentScript as HTMLScriptElement | null)?.dataset ?? {}
    const log = d.debug != null && d.debug !== 'false' ? (...a: unknown[]) => console.info('[mailstitch]', ...a) : () => {}
    const gate = gateFrom(d.consent)
    const bridgeId = () => {
      try {
        const v = Object.values(w.mailstitch?.instance?.linkParams() ?? {})[0]
        return typeof v === 'string' && v ? v : undefined
      } catch {
        return undefined
      }
    }
    const captured = () => !!readState().captured
    const started = coreStarted(w)
    const foundInCart = (id: string) => linkCartVisitor(id, log, started)
    const bridge: CartBridge | undefined = d.cartBridge === 'false' ? undefined : startCartBridge({ bridgeId, captured, foundInCart, gate, root: d.root, log })
    const off = d.customerId ? identifyCustomer(d.customerId, gate, log) : () => {}
    const api: MailstitchShopify = {
      sync: () => bridge?.sync() ?? Promise.resolve(),
      destroy: () => {
        bridge?.stop()
        off()
      },
    }
    // The SDK's start-up work (a landing, the capture a form post left for this page) may create
    // the bridge id only after the first check ran: check again once it is done.
    void started.then((hadCore) => {
      if (hadCore) return api.sync()
    })
    ;(w.mailstitch ||= {}).shopify = api
  }
} catch {
  /* never break the page */
}
