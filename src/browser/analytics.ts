import type { AnalyticsLike } from './types'
import { getCookie, lsGet } from './storage'

type UserLike = { anonymousId(): string | null; id(): string | null; traits(): { email?: unknown } | undefined }

/** Who the visitor is now: anonymousId, userId and the email trait. */
export type Who = [anonymousId: string | null, userId: string | null, email: unknown]
/** Call a method on the analytics object; `done(ok)` once analytics.js attempted delivery. */
export type Call = (method: string, args: unknown[], done?: (ok: boolean) => void) => void

/** analytics.js keys: localStorage first (JSON), then the cookie, as analytics-next reads them. */
const stored = (key: string): string | null => {
  const v = lsGet(key)
  return (typeof v == 'string' && v) || getCookie(key)?.replace(/^"|"$/g, '') || null
}

/**
 * The adapter over Segment's three shapes — an `AnalyticsBrowser` (npm), a loaded
 * `window.analytics`, the snippet's buffering stub — read through `get` on each use.
 */
export function segment(get: () => AnalyticsLike | undefined): [peek: () => Who, call: Call] {
  return [
    /** From the loaded instance, else from analytics.js's own storage (before it loads). */
    () => {
      let u: UserLike | undefined
      try {
        const a = get()!
        u = ((a.instance || (a.initialized && a)) as { user(): UserLike }).user()
      } catch { /* not loaded */ }
      return u
        ? [u.anonymousId(), u.id(), u.traits()?.email]
        : [stored('ajs_anonymous_id'), stored('ajs_user_id'), lsGet<{ email?: unknown }>('ajs_user_traits')?.email]
    },
    /**
     * A method of the object, else pushed onto our own queue array, which a snippet that runs
     * later adopts. Never throws. With `done`, a trailing callback is appended: analytics.js
     * invokes it with the event context once delivery was attempted (`done(false)` when it
     * failed, or when the call's promise rejects).
     */
    (method, args, done) => {
      if (done) args = [...args, (ctx?: { failedDelivery?(): unknown }) => done(!ctx?.failedDelivery?.())]
      try {
        const a = get() as unknown as Record<string, (...args: unknown[]) => { catch?(f: () => void): void } | undefined> & unknown[]
        a[method] ? a[method](...args)?.catch?.(() => done?.(false)) : a.push([method, ...args])
      } catch { /* no analytics, or a broken one */ }
    },
  ]
}
