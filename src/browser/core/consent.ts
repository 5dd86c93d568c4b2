// The consent gate, written once for the SDK, the script tag and the Shopify add-on (issue 13);
// rollup inlines it into both bundles.
import type { ConsentOption } from '../types'

type CustomerPrivacy = { analyticsProcessingAllowed?: () => boolean; marketingAllowed?: () => boolean }
type ShopifyGlobal = {
  customerPrivacy?: CustomerPrivacy
  loadFeatures?: (features: { name: string; version: string }[], done: (error?: unknown) => void) => void
}

/** The document event Shopify fires when the visitor answers its consent banner. */
export const SHOPIFY_CONSENT_EVENT = 'visitorConsentCollected'

const shopifyGlobal = (): ShopifyGlobal | undefined => (window as unknown as { Shopify?: ShopifyGlobal }).Shopify

/**
 * Shopify's Customer Privacy API, asked now: mailstitch writes an identifier to a marketing tool,
 * so it needs both analytics and marketing consent. `undefined` while the API is not loaded.
 * https://shopify.dev/docs/api/customer-privacy
 */
export function shopifyConsentNow(): boolean | undefined {
  try {
    const privacy = shopifyGlobal()?.customerPrivacy
    if (!privacy?.analyticsProcessingAllowed) return undefined
    return Boolean(privacy.analyticsProcessingAllowed() && privacy.marketingAllowed?.())
  } catch {
    return undefined // a half-loaded API: not loaded yet (then loadFeatures, then denied if still so)
  }
}

/** Shopify's answer once its API has loaded; denied when it never loads (5 s) or fails. */
export function waitForShopifyConsent(): Promise<boolean> {
  return new Promise((resolve) => {
    const answer = () => resolve(shopifyConsentNow() ?? false)
    if (shopifyConsentNow() !== undefined) return answer()
    setTimeout(answer, 5000)
    try {
      shopifyGlobal()!.loadFeatures!([{ name: 'consent-tracking-api', version: '0.1' }], answer)
    } catch {
      answer()
    }
  })
}

/**
 * A consent function named by a dotted global path (`data-consent="cmp.allowsMarketing"`),
 * called as a method of its owner (CMP objects read `this`). A name that leads nowhere means
 * consent was not given: it answers false, never throws.
 */
export function namedConsent(dottedName: string): () => boolean | Promise<boolean> {
  return () => {
    let owner: unknown
    let value: unknown = window
    try {
      for (const key of dottedName.split('.')) {
        owner = value
        value = value == null ? undefined : (value as Record<string, unknown>)[key]
      }
      if (typeof value !== 'function') return false
      return (value as () => boolean | Promise<boolean>).call(owner)
    } catch {
      return false
    }
  }
}

/**
 * Ask the `consent` option: the answer, synchronously when it is known, else a promise of it
 * (a rejection, an error or a time-out is a denial). Asked before any cookie, storage write or
 * request. No option means allowed; anything but a function or 'shopify' fails closed.
 * `waitForShopify` waits for Shopify's API when it has not loaded yet: the script tag's core
 * reaches {@link waitForShopifyConsent} through its runner (most pages never need the wait, and
 * every page carries the core), the npm build and the Shopify add-on call it directly.
 */
export function askConsent(consent: ConsentOption | undefined, waitForShopify: () => Promise<boolean>): boolean | Promise<boolean> {
  if (consent === 'shopify') return shopifyConsentNow() ?? waitForShopify()
  if (consent === undefined || consent === null) return true
  if (typeof consent !== 'function') return false
  try {
    const answer: unknown = consent()
    if (typeof answer === 'boolean') return answer
    return Promise.resolve(answer).then((value) => value === true, () => false)
  } catch {
    return false
  }
}
