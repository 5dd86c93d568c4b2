import type { Gate } from './consent'

type Analytics = {
  ready?(cb: () => void): unknown
  user?(): { id?(): string | null } | undefined
  identify?(...args: unknown[]): unknown
}

/** Shopify customer ids are numeric (`customer.id`); anything else is ignored. */
const CUSTOMER_ID = /^[0-9]{1,20}$/

/**
 * A logged-in Shopify customer: `analytics.identify(customerId)` once consent allows, but only
 * when Segment has no userId yet (a site that identifies with its own ids keeps them). Later
 * captures then carry the customer id as Segment userId and Klaviyo `external_id`
 * (with `externalId: 'userId'`, the default). Returns an unsubscribe function.
 */
export function identifyCustomer(customerId: string, gate: Gate, log: (...args: unknown[]) => void = () => {}): () => void {
  const id = customerId.trim()
  if (!CUSTOMER_ID.test(id)) return () => {}
  let done = false
  const attempt = async () => {
    try {
      if (done || (gate.now() ?? (await gate.check())) !== true || done) return
      const a = (window as { analytics?: Analytics }).analytics
      if (!a?.ready) return
      done = true
      // `ready` runs once analytics.js has loaded and read its stored user (also from the snippet stub).
      a.ready(() => {
        try {
          const w = (window as { analytics?: Analytics }).analytics
          const known = w?.user?.()?.id?.()
          if (known) return log('customer: Segment already has userId', known)
          w?.identify?.(id)
          log('customer identified', id)
        } catch { /* third-party object */ }
      })
    } catch { /* never break the page */ }
  }
  void attempt()
  // Consent given later (the visitor answered the banner): try again.
  return gate.watch(() => void attempt())
}
