/**
 * The bridge id the browser SDK stored on the storefront, read from outside the SDK: the web pixel
 * in Shopify's checkout sees the storefront's cookies only as text, through
 * `browser.cookie.get(name)` (https://shopify.dev/docs/api/web-pixels-api/standard-api/browser).
 * The SDK keeps it in the first-party cookie `mst_state`, a JSON object whose key `b` is the bridge
 * id (src/browser/state.ts), URI-encoded as a cookie value. Pure; never throws.
 */
import { TOKEN } from './url'

/** Name of the browser SDK's state cookie (src/browser/state.ts `STATE_COOKIE`). */
export const STATE_COOKIE_NAME = 'mst_state'

/** The bridge id in a raw `mst_state` cookie value (encoded or not); undefined when absent, unreadable or malformed. */
export function bridgeIdFromStateCookie(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined
  for (const text of [decoded(raw.trim()), raw.trim()]) {
    try {
      const state: unknown = JSON.parse(text)
      const value = state && typeof state === 'object' ? (state as Record<string, unknown>).b : undefined
      if (typeof value === 'string' && TOKEN.test(value)) return value
    } catch {
      // not this form: try the next
    }
  }
  return undefined
}

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}
