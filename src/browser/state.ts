import Cookies from 'js-cookie'

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
    const v = JSON.parse(Cookies.get(STATE_COOKIE)!)
    if (Object(v) === v) return v
  } catch { /* absent, corrupt, or cookies disabled */ }
  return {}
}

/**
 * Merge into the state cookie (a year, first party, Lax, path / as js-cookie's default), or remove it with `null` (consent
 * withdrawn). Callers check consent first. Best effort: cookies may be disabled.
 */
export function writeState(patch: BrowserState | null): void {
  try {
    patch
      ? Cookies.set(STATE_COOKIE, JSON.stringify({ ...readState(), ...patch }), { expires: 365, sameSite: 'Lax', secure: location.protocol == 'https:' })
      : Cookies.remove(STATE_COOKIE)
  } catch { /* cookies disabled */ }
}
