// Reading a first-party cookie, the little the core needs (the state cookie's bridge id, and
// analytics.js's ids before it loads). Never throws (cookies may be disabled).
//
// Cookies are written with js-cookie, only by the runner (runner/state-cookie.ts): with js-cookie
// in the core, the core would not fit its 4,096 B gzip budget (bench row 1 prints what js-cookie
// costs). This reader reads what js-cookie writes (runner/state-cookie.test.ts).

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
