// Writing the state cookie (`mst_state`, read by core/state.ts) with js-cookie: the one place
// mailstitch writes a cookie, in the runner, which loads only on a page with a landing, a capture
// or a consent withdrawal (js-cookie does not fit in the core's budget: bench row 1).
import Cookies from 'js-cookie'
import { STATE_COOKIE, STORED_KEYS, readState, type BrowserState } from '../core/state'

/**
 * Merge into the state cookie (a year, first party, Lax, path /, Secure on https). Callers check
 * consent first. Best effort: cookies may be disabled.
 */
export function writeState(patch: BrowserState): void {
  try {
    const state: Record<string, unknown> = { ...readState(), ...patch }
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
