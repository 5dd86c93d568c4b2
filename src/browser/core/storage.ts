// Guarded Web Storage access, the only module that touches localStorage: Safari private mode,
// sandboxed iframes and disabled storage throw on access, a full one throws on write
// (QuotaExceededError), and the SDK must never throw into the host page.

/** The text stored under `key`; `null` when absent, `undefined` when storage cannot be read. */
export function readRaw(key: string): string | null | undefined {
  try {
    return localStorage.getItem(key)
  } catch {
    return undefined // unavailable
  }
}

/** Read and JSON-parse a localStorage key; nullish when absent or unreadable. */
export function readStored<T>(key: string): T | null | undefined {
  try {
    return JSON.parse(readRaw(key)!)
  } catch {
    return undefined // corrupt
  }
}

/** Store `text` as it is under `key`; false when storage is unavailable or full (never throws). */
export function writeRaw(key: string, text: string): boolean {
  try {
    localStorage.setItem(key, text)
    return true
  } catch {
    return false // unavailable or full
  }
}

/** JSON-stringify into localStorage, or remove the key with `undefined`; false when that failed (never throws). */
export function writeStored(key: string, value: unknown): boolean {
  try {
    if (value !== undefined) return writeRaw(key, JSON.stringify(value))
    localStorage.removeItem(key)
    return true
  } catch {
    return false // unavailable, or a value JSON cannot take
  }
}

/** The stored keys that match `pattern`; none when storage is unavailable. */
export function storedKeys(pattern: RegExp): string[] {
  const keys: string[] = []
  try {
    for (let index = 0; index < localStorage.length; index++) {
      const key = localStorage.key(index) || ''
      if (pattern.test(key)) keys.push(key)
    }
  } catch { /* unavailable */ }
  return keys
}
