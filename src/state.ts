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
    const raw = Cookies.get(STATE_COOKIE)
    const v: unknown = raw ? JSON.parse(raw) : {}
    return v && typeof v === 'object' ? (v as BrowserState) : {}
  } catch {
    return {}
  }
}

/** Merge into the state cookie (a year, first party, Lax). Callers check consent first. */
export function writeState(patch: BrowserState): void {
  try {
    Cookies.set(STATE_COOKIE, JSON.stringify({ ...readState(), ...patch }), {
      expires: 365,
      path: '/',
      sameSite: 'Lax',
      secure: location.protocol === 'https:',
    })
  } catch {
    /* cookies disabled: the state is best effort */
  }
}

/** Remove the state cookie (consent withdrawn). */
export function clearState(): void {
  try { Cookies.remove(STATE_COOKIE, { path: '/' }) } catch { /* ignore */ }
}
