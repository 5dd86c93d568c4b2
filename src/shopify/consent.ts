// The add-on's own consent gate (the core's gate is internal to mailstitch.min.js and may change
// shape with its size budget). Same rules: 'shopify' needs analytics AND marketing consent from
// the Customer Privacy API, loaded late or never (then: denied); a named function is asked; no
// option means allowed.

/** A consent gate as the cart bridge and customer watcher use it. */
export interface Gate {
  /** The answer if it is known synchronously, else `undefined`. */
  now(): boolean | undefined
  /** The answer, waiting for it if need be (denied on error or time-out). */
  check(): Promise<boolean>
  /** Call `cb` when the visitor's choice changes; returns an unsubscribe function. */
  watch(cb: () => void): () => void
}

type ShopifyGlobal = {
  customerPrivacy?: { analyticsProcessingAllowed?: () => boolean; marketingAllowed?: () => boolean }
  loadFeatures?: (f: { name: string; version: string }[], cb: (err?: unknown) => void) => void
}

const EVENT = 'visitorConsentCollected'

/** `data-consent`: `shopify`, the dotted name of a global function, or nothing (allowed). */
export function gateFrom(v: string | undefined): Gate {
  if (v === 'shopify') {
    const shopify = () => (window as unknown as { Shopify?: ShopifyGlobal }).Shopify
    const now = () => {
      try {
        const cp = shopify()?.customerPrivacy
        return cp?.analyticsProcessingAllowed ? !!(cp.analyticsProcessingAllowed() && cp.marketingAllowed?.()) : undefined
      } catch {
        return false
      }
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
  const ask = (): unknown => {
    if (!v) return true
    try {
      let fn: unknown = window
      let self: unknown
      for (const k of v.split('.')) (self = fn), (fn = fn == null ? undefined : (fn as Record<string, unknown>)[k])
      // A named gate that is missing means consent was not given.
      const r = typeof fn === 'function' ? (fn as () => unknown).call(self) : false
      ;(r as Promise<unknown>)?.catch?.(() => {})
      return r
    } catch {
      return false
    }
  }
  return {
    now: () => { const r = ask(); return typeof r === 'boolean' ? r : undefined },
    check: () => Promise.resolve(ask()).then((r) => r === true, () => false),
    watch: () => () => {},
  }
}
