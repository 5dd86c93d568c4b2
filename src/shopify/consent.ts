// The add-on's consent gate, in the shape the cart bridge and customer watcher use. Same rules
// as the SDK: 'shopify' needs analytics AND marketing consent from the Customer Privacy API,
// loaded late or never (then: denied); a named function is asked; no option means allowed.
// Built on the SDK's one consent gate (src/browser/core/consent.ts); rollup inlines it into this bundle.
import { SHOPIFY_CONSENT_EVENT, askConsent, namedConsent, shopifyConsentNow, waitForShopifyConsent } from '../browser/core/consent'

/** A consent gate as the cart bridge and customer watcher use it. */
export interface Gate {
  /** The answer if it is known synchronously, else `undefined`. */
  now(): boolean | undefined
  /** The answer, waiting for it if need be (denied on error or time-out). */
  check(): Promise<boolean>
  /** Call `cb` when the visitor's choice changes; returns an unsubscribe function. */
  watch(cb: () => void): () => void
}


/** `data-consent`: `shopify`, the dotted name of a global function, or nothing (allowed). */
export function gateFrom(v: string | undefined): Gate {
  if (v === 'shopify') {
    return {
      now: shopifyConsentNow,
      check: waitForShopifyConsent,
      watch: (cb) => {
        document.addEventListener(SHOPIFY_CONSENT_EVENT, cb)
        return () => document.removeEventListener(SHOPIFY_CONSENT_EVENT, cb)
      },
    }
  }
  const consent = v ? namedConsent(v) : undefined
  return {
    now: () => {
      const answer = askConsent(consent, waitForShopifyConsent)
      return typeof answer === 'boolean' ? answer : undefined
    },
    check: () => Promise.resolve(askConsent(consent, waitForShopifyConsent)),
    watch: () => () => {},
  }
}
