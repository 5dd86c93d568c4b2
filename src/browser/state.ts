import { getCookie } from './storage'

/** What this browser has done with mailstitch, kept in one first-party cookie. */
export interface BrowserState {
  /** Bridge id: the anonymousId under which an email was captured or a link adopted. */
  b?: string
  /** Set once an email was captured in this browser. */
  c?: 1
  /** The token this browser adopted from an email link. */
  a?: string
}

/** Name of the state cookie. */
export const STATE_COOKIE = 'mst_state'

/** Read the state cookie; `{}` when absent or unreadable. */
export function readState(): BrowserState {
  try {
    const v = JSON.parse(getCookie(STATE_COOKIE)!)
    if (Object(v) === v) return v
  } catch { /* absent, corrupt, or cookies disabled */ }
  return {}
}

/**
 * Merge into the state cookie (a year, first party, path /, Lax, Secure on https), or remove it with `null` (consent
 * withdrawn). Callers check consent first. Best effort: cookies may be disabled.
 */
export function writeState(patch: BrowserState | null): void {
  try {
    const value = patch ? encodeURIComponent(JSON.stringify({ ...readState(), ...patch })) : ''
    const expires = new Date(patch ? Date.now() + 365 * 864e5 : 0).toUTCString() // removing: in the past
    document.cookie = STATE_COOKIE + '=' + value + '; expires=' + expires + '; path=/; samesite=Lax' + (location.protocol == 'https:' ? '; secure' : '')
  } catch { /* cookies disabled */ }
}
