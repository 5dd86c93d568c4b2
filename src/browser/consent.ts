import type { ConsentOption } from './types'

type ShopifyGlobal = {
  customerPrivacy?: { analyticsProcessingAllowed?: () => boolean; marketingAllowed?: () => boolean }
  loadFeatures?: (f: { name: string; version: string }[], cb: (err?: unknown) => void) => void
}

const shopify = () => (window as unknown as { Shopify: ShopifyGlobal }).Shopify

/**
 * Shopify's Customer Privacy API: mailstitch writes an identifier to a marketing tool, so it
 * needs both analytics and marketing consent; `undefined` while the API is not loaded.
 */
const shopifyNow = (): boolean | undefined => {
  try {
    const cp = shopify().customerPrivacy!
    return !!(cp.analyticsProcessingAllowed!() && cp.marketingAllowed?.())
  } catch { /* not loaded (yet) */ }
}

/**
 * Ask the `consent` option: the answer, synchronous when known, else a promise of it (denied
 * on error or time-out). Asked before any cookie, storage write or request.
 */
export function askConsent(consent: ConsentOption | undefined): boolean | Promise<boolean> {
  if (consent == 'shopify')
    return (
      shopifyNow() ??
      new Promise((resolve) => {
        // The API may load late or never (then: denied).
        const fin = () => resolve(shopifyNow() ?? false)
        setTimeout(fin, 5000)
        try { shopify().loadFeatures!([{ name: 'consent-tracking-api', version: '0.1' }], fin) } catch { fin() }
      })
    )
  try {
    // Fail closed on anything but a function or nothing (untyped `consent: false`).
    const v: unknown = typeof consent == 'function' ? consent() : consent ?? true
    // A rejection is a denial, not an unhandled error.
    return typeof v == 'boolean' ? v : Promise.resolve(v).then((v) => v === true, () => false)
  } catch {
    return false
  }
}
