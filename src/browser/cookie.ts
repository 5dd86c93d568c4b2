// First-party cookies, the little mailstitch needs of them (read a value, write one for a year,
// remove it). Written here rather than taken from js-cookie: this is all of it, and the script
// tag's byte budget is better spent on the capture pipeline. Never throws (cookies may be disabled).

/** The decoded value of cookie `name`; `undefined` when absent or unreadable. */
export function readCookie(name: string): string | undefined {
  try {
    for (const pair of document.cookie.split('; ')) {
      const separator = pair.indexOf('=')
      if (pair.slice(0, separator) === name) return decodeURIComponent(pair.slice(separator + 1))
    }
  } catch { /* disabled, or a malformed value */ }
  return undefined
}

/** Set cookie `name` on path `/` for `days` (SameSite=Lax; Secure on https). */
export function writeCookie(name: string, value: string, days: number): void {
  try {
    const expires = new Date(Date.now() + days * 864e5).toUTCString()
    const secure = location.protocol === 'https:' ? '; secure' : ''
    document.cookie = `${name}=${encodeURIComponent(value)}; expires=${expires}; path=/; samesite=lax${secure}`
  } catch { /* disabled */ }
}

/** Remove cookie `name` (path `/`). */
export function removeCookie(name: string): void {
  try {
    document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`
  } catch { /* disabled */ }
}
