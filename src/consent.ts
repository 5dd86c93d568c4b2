import type { ConsentOption } from './types'

/** A consent gate: the SDK asks it before any cookie, storage write or request. */
export interface Gate {
  /** The answer if it is known synchronously, else `undefined`. */
  now(): boolean | undefined
  /** The answer, waiting for it if need be (denied on error or time-out). */
  check(): Promise<boolean>
  /** Call `cb` when the visitor's choice changes; returns an unsubscribe function. */
  watch(cb: () => void): () => void
}

interface ShopifyGlobal {
  customerPrivacy?: { analyticsProcessingAllowed?: () => boolean; marketingAllowed?: () => boolean }
  loadFeatures?: (f: { name: string; version: string }[], cb: (err?: unknown) => void) => void
}

const EVENT = 'visitorConsentCollected'

/**
 * Shopify's Customer Privacy API: mailstitch writes an identifier to a marketing tool, so it
 * needs both analytics and marketing consent. The API may load late or never (then: denied).
 */
function shopifyGate(): Gate {
  const shopify = () => (window as unknown as { Shopify?: ShopifyGlobal }).Shopify
  const now = () => {
    const cp = shopify()?.customerPrivacy
    return cp?.analyticsProcessingAllowed ? !!(cp.analyticsProcessingAllowed() && cp.marketingAllowed?.()) : undefined
  }
  return {
    now,
    check: () =>
      new Promise<boolean>((resolve) => {
        const fin = () => resolve(now() ?? false)
        if (now() !== undefined) return fin()
        setTimeout(fin, 5000)
        try { shopify()!.loadFeatures!([{ name: 'consent-tracking-api', version: '0.1' }], fin) } catch { fin() }
      }),
    watch: (cb) => {
      document.addEventListener(EVENT, cb)
      return () => document.removeEventListener(EVENT, cb)
    },
  }
}

/** Build the gate for the `consent` option (absent = allowed). */
export function createGate(opt?: ConsentOption): Gate {
  if (opt === 'shopify') return shopifyGate()
  const ask = (): unknown => {
    try {
      // Fail closed on anything but a function or nothing (untyped `consent: false`).
      const v = typeof opt === 'function' ? opt() : opt ?? true
      ;(v as Promise<unknown>)?.catch?.(() => {}) // `now()` drops this promise: a rejection is a denial, not an unhandled error
      return v
    } catch {
      return false
    }
  }
  return {
    now: () => { const v = ask(); return typeof v === 'boolean' ? v : undefined },
    check: () => Promise.resolve(ask()).then((v) => v === true, () => false),
    watch: () => () => {},
  }
}
