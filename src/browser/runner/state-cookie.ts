// Writing cookies with js-cookie: the state cookie (`mst_state`, read by core/state.ts) and, where
// analytics.js did not load and localStorage is unavailable, analytics.js's own `ajs_anonymous_id`
// (anonymous-id.ts). The one place mailstitch writes a cookie, in the runner, which loads only on
// a page with a landing, a capture or a consent withdrawal (js-cookie does not fit in the core's
// budget: bench row 1).
import Cookies from 'js-cookie'
import { readCookie } from '../core/cookie'
import { STATE_COOKIE, STORED_KEYS, readState, type BrowserState } from '../core/state'

/**
 * Merge `patch` into the state cookie (a year, first party, Lax, path /, Secure on https), over
 * `current` when the caller read it already (core/analytics.ts `currentVisitor`). Callers check
 * consent first. Best effort: cookies may be disabled.
 */
export function writeState(patch: BrowserState, current = readState()): void {
  try {
    const state: Record<string, unknown> = { ...current, ...patch }
    const stored: Record<string, unknown> = {}
    for (const [field, key] of STORED_KEYS) if (state[field]) stored[key] = state[field]
    Cookies.set(STATE_COOKIE, JSON.stringify(stored), { expires: 365, path: '/', sameSite: 'lax', secure: location.protocol === 'https:' })
  } catch { /* disabled, or a hostile page */ }
}

/** Remove the state cookie (consent withdrawn). */
export function clearState(): void {
  try {
    Cookies.remove(STATE_COOKIE, { path: '/' })
  } catch { /* disabled */ }
}

/**
 * The domain analytics-next gives its cookies (`tld()` in its core/user/tld.ts): the widest
 * domain of the host that takes a probe cookie (`shop.com` for `www.shop.com`); none (host-only)
 * on `localhost`. (analytics-next skips the probe on an IP address, which takes a domain cookie
 * only for the address itself: the same cookie.) Written there, its cookie and ours are one.
 */
function cookieDomain(): string | undefined {
  const parts = location.hostname.split('.')
  for (let index = parts.length - 2; index >= 0; index--) {
    const domain = '.' + parts.slice(index).join('.')
    Cookies.set('__tld__', '1', { domain })
    if (readCookie('__tld__')) {
      Cookies.remove('__tld__', { domain })
      return domain
    }
  }
  return undefined
}

/** Write analytics.js's `ajs_anonymous_id` cookie as analytics-next does (raw, a year, path /, Lax, its domain). Callers check consent first. */
export function writeAnonymousIdCookie(id: string): void {
  try {
    Cookies.set('ajs_anonymous_id', id, { expires: 365, path: '/', sameSite: 'lax', domain: cookieDomain() })
  } catch { /* disabled */ }
}
