// Guarded Web Storage access: Safari private mode, sandboxed iframes and disabled storage
// throw on access, and the SDK must never throw into the host page.

/** Read and JSON-parse a localStorage key; nullish when absent or unreadable. */
export function lsGet<T>(key: string): T | null | undefined {
  try {
    return JSON.parse(localStorage.getItem(key)!)
  } catch { /* unavailable or corrupt */ }
}

/** JSON-stringify into localStorage, or remove the key with `undefined`; silent when storage is unavailable. */
export function lsSet(key: string, value?: unknown): void {
  try {
    value === undefined ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value))
  } catch { /* unavailable or full */ }
}

/*
 * Cookies without js-cookie, measured: with js-cookie the script-tag bundle was 4,084 B gzip, 12 B
 * under its 4,096 B budget, and the opt-in-only subscription rule did not fit; reading here and
 * writing in state.ts (one cookie, fixed attributes) instead brought it to 3,698 B with the rule in.
 * Values js-cookie wrote before the upgrade still read (state.test.ts).
 */

/**
 * A cookie's value, percent-decoded as js-cookie writes it (the first of that name wins);
 * `undefined` when absent or malformed. May throw where cookies are blocked.
 */
export function getCookie(name: string): string | undefined {
  for (const c of document.cookie.split('; ')) {
    const i = c.indexOf('=')
    try {
      if (c.slice(0, i) == name) return decodeURIComponent(c.slice(i + 1))
    } catch { /* malformed */ }
  }
}
