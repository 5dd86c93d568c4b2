// What this browser has done with mailstitch, kept in one first-party cookie (`mst_state`), so
// every page of the site, and the server, can read the bridge id. Stored with short keys. Read
// here (the core); written by the runner (runner/state-cookie.ts, with js-cookie).
import { readCookie } from './cookie'

/** The browser's mailstitch state, as the code reads it. */
export interface BrowserState {
  /** Bridge id: the anonymousId under which an email was captured or a link adopted. */
  bridgeId?: string
  /** An email was captured in this browser (stored as 1 by 0.1.0). */
  captured?: boolean | 1
  /** The token this browser adopted from an email link. */
  adopted?: string
}

/** Name of the state cookie. */
export const STATE_COOKIE = 'mst_state'

/** Readable field → stored key (the format of 0.1.0, so no cookie needs migrating). */
export const STORED_KEYS: [keyof BrowserState, string][] = [['bridgeId', 'b'], ['captured', 'c'], ['adopted', 'a']]

/** Read the state cookie; `{}` when absent or unreadable. */
export function readState(): BrowserState {
  try {
    const stored = JSON.parse(readCookie(STATE_COOKIE)!)
    const state: Record<string, unknown> = {}
    for (const [field, key] of STORED_KEYS) if (stored[key]) state[field] = stored[key]
    return state
  } catch { /* absent, corrupt, or cookies disabled */ }
  return {}
}
