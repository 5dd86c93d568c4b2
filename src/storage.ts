// Guarded Web Storage access: Safari private mode, sandboxed iframes and disabled storage
// throw on access, and the SDK must never throw into the host page.

/** Read and JSON-parse a localStorage key; `undefined` when absent or unreadable. */
export function lsGet<T>(key: string): T | undefined {
  try {
    const raw = localStorage.getItem(key)
    return raw == null ? undefined : (JSON.parse(raw) as T)
  } catch {
    return undefined
  }
}

/** JSON-stringify into localStorage (or remove with `undefined`); false when storage is unavailable. */
export function lsSet(key: string, value: unknown): boolean {
  try {
    if (value === undefined) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
    return true
  } catch {
    return false
  }
}
