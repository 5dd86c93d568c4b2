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

interface CustomerPrivacy {
  analyticsProcessingAllowed?: () => boolean
  marketingAllowed?: () => boolean
}
interface ShopifyGlobal {
  customerPrivacy?: CustomerPrivacy
  loadFeatures?: (f: { name: string; version: string }[], cb: (err?: unknown) => void) => void
}

const never = () => () => {}

/**
 * Shopify's Customer Privacy API: mailstitch writes an identifier to a marketing tool, so it
 * needs both analytics and marketing consent. The API may load late or not at all.
 */
function shopifyGate(): Gate {
  const shopify = () => (window as unknown as { Shopify?: ShopifyGlobal }).Shopify
  const now = () => {
    const cp = shopify()?.customerPrivacy
    if (!cp?.analyticsProcessingAllowed) return undefined
    return !!(cp.analyticsProcessingAllowed() && cp.marketingAllowed?.())
  }
  let loading: Promise<boolean> | undefined
  const check = () => {
    const v = now()
    if (v !== undefined) return Promise.resolve(v)
    return (loading ??= new Promise<boolean>((resolve) => {
      const fin = () => { loading = undefined; resolve(now() ?? false) }
      const timer = setTimeout(fin, 5000)
      try {
        shopify()?.loadFeatures
          ? shopify()!.loadFeatures!([{ name: 'consent-tracking-api', version: '0.1' }], () => { clearTimeout(timer); fin() })
          : (clearTimeout(timer), fin())
      } catch { clearTimeout(timer); fin() }
    }))
  }
  const watch = (cb: () => void) => {
    document.addEventListener('visitorConsentCollected', cb)
    return () => document.removeEventListener('visitorConsentCollected', cb)
  }
  return { now, check, watch }
}

/** Build the gate for the `consent` option (absent = allowed). */
export function createGate(opt?: ConsentOption): Gate {
  if (opt === 'shopify') return shopifyGate()
  if (typeof opt !== 'function') return { now: () => true, check: () => Promise.resolve(true), watch: never }
  const ask = (): unknown => { try { return opt() } catch { return false } }
  return {
    now: () => { const v = ask(); return typeof v === 'boolean' ? v : undefined },
    check: () => Promise.resolve(ask()).then((v) => v === true, () => false),
    watch: never,
  }
}
