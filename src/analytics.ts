import Cookies from 'js-cookie'
import type { AnalyticsLike } from './types'
import { lsGet } from './storage'

/** Who the Segment user is in this browser. */
export interface Identity {
  anonymousId: string | null
  userId: string | null
  /** `traits.email` as analytics.js stores it, when any. */
  email?: unknown
}

/** Adapter over the three analytics shapes: `AnalyticsBrowser`, loaded `window.analytics`, snippet stub. */
export interface Segment {
  /** The analytics object now present, if any. */
  present(): boolean
  /** Identity without waiting: the loaded instance's user, else analytics.js's own storage. */
  peek(): Identity
  /** Identity once analytics can answer; `null` when there is no analytics or it never loads. */
  identity(): Promise<Identity | null>
  /** Call a method on whatever shape is present; `done(ok)` runs once delivery was attempted. */
  call(method: string, args: unknown[], done?: (ok: boolean) => void): boolean
}

type UserLike = { anonymousId(): string | null; id(): string | null; traits(): { email?: unknown } | undefined }
type Fn = (...args: unknown[]) => { catch?: (f: () => void) => void } | undefined

/** analytics.js keys: localStorage first (JSON), then the cookie, as analytics-next reads them. */
const stored = (key: string): string | null => {
  const v = lsGet(key)
  return (typeof v === 'string' && v) || Cookies.get(key)?.replace(/^"|"$/g, '') || null
}

/** Make the adapter; `explicit` is the npm `AnalyticsBrowser`, otherwise `window.analytics` is read on each use. */
export function createSegment(explicit?: AnalyticsLike): Segment {
  const get = (): AnalyticsLike | undefined => explicit || (window as { analytics?: AnalyticsLike }).analytics

  const peek = (): Identity => {
    const a = get()
    let u: UserLike | undefined
    try { u = ((a?.instance || (a?.initialized && a)) as { user(): UserLike } | undefined)?.user() } catch { /* not loaded */ }
    return u
      ? { anonymousId: u.anonymousId(), userId: u.id(), email: u.traits()?.email }
      : { anonymousId: stored('ajs_anonymous_id'), userId: stored('ajs_user_id'), email: lsGet<{ email?: unknown }>('ajs_user_traits')?.email }
  }

  const call = (method: string, args: unknown[], done?: (ok: boolean) => void): boolean => {
    const a = get() as unknown as Record<string, Fn> & unknown[]
    // analytics.js invokes a trailing callback with the event context once delivery was attempted.
    if (done) args = [...args, (ctx?: { failedDelivery?(): unknown }) => done(!ctx?.failedDelivery?.())]
    try {
      if (typeof a?.[method] === 'function') a[method]!(...args)?.catch?.(() => done?.(false))
      else if (Array.isArray(a)) a.push([method, ...args]) // our own queue, adopted by a snippet that runs later
      else return false
      return true
    } catch {
      return false
    }
  }

  const identity = async (): Promise<Identity | null> => {
    if (!get()) return null
    // No id stored yet (first page view): wait for analytics.js to load and create one.
    if (!peek().anonymousId) await new Promise((r) => { setTimeout(r, 3000); call('ready', [r]) })
    const who = peek()
    return who.anonymousId ? who : null
  }

  return { present: () => !!get(), peek, identity, call }
}
