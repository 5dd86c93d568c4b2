// Guarded Web Storage access: Safari private mode, sandboxed iframes and disabled storage
// throw on access, and the SDK must never throw into the host page.

/** Read and JSON-parse a localStorage key; nullish when absent or unreadable. */
export function readStored<T>(key: string): T | null | undefined {
  try {
    return JSON.parse(localStorage.getItem(key)!)
  } catch {
    return undefined // unavailable or corrupt
  }
}

/** JSON-stringify into localStorage, or remove the key with `undefined`; silent when storage is unavailable. */
export function writeStored(key: string, value: unknown): void {
  try {
    if (value === undefined) localStorage.removeItem(key)
    else writeRaw(key, JSON.stringify(value))
  } catch { /* unavailable, or a value JSON cannot take */ }
}

/** Store `text` as it is under `key`; silent when storage is unavailable or full. */
export function writeRaw(key: string, text: string): void {
  try {
    localStorage.setItem(key, text)
  } catch { /* unavailable or full */ }
}
