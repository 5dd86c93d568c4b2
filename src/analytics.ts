import type { AnalyticsLike, SourceMiddleware } from './types'
import Cookies from 'js-cookie'
import { lsGet } from './storage'

/** Who the Segment user is in this browser. */
export interface Identity {
  anonymousId: string | null
  userId: string | null
  /** `traits.email` as analytics.js stores it, when any. */
  email: string | null
}

/** Segment user object as analytics-next exposes it. */
interface UserLike {
  anonymousId(): string | null
  id(): string | null
  traits(): Record<string, unknown> | undefined
}

type Done = (ok: boolean) => void
type Fn = (...args: unknown[]) => unknown

/** Adapter over the three analytics shapes: `AnalyticsBrowser`, loaded `window.analytics`, snippet stub. */
export interface Segment {
  /** The analytics object now present, if any. */
  present(): boolean
  /** Best-effort identity without waiting (loaded instance, else analytics.js storage). */
  peek(): Identity
  /** Identity once analytics can answer; `null` when there is no analytics or it never loads. */
  identity(timeoutMs?: number): Promise<Identity | null>
  /** Call identify/track/setAnonymousId/addSourceMiddleware on whatever shape is present. */
  call(method: string, args: unknown[], done?: Done): boolean
}

/** analytics.js storage keys (localStorage first, then cookie: analytics-next's default priority). */
function stored(key: string): string | null {
  const v = lsGet<unknown>(key)
  return typeof v === 'string' && v ? v : Cookies.get(key)?.replace(/^"|"$/g, '') || null
}

function fromUser(u: UserLike): Identity {
  const t = u.traits()
  return { anonymousId: u.anonymousId(), userId: u.id(), email: typeof t?.email === 'string' ? t.email : null }
}

function loadedUser(a: AnalyticsLike | undefined): UserLike | undefined {
  const inst = (a?.instance ?? (a?.initialized ? a : undefined)) as { user?: () => UserLike } | undefined
  try { return inst?.user?.() } catch { return undefined }
}

/** Make the adapter; `explicit` is the npm `AnalyticsBrowser`, otherwise `window.analytics` is read on each use. */
export function createSegment(explicit?: AnalyticsLike): Segment {
  const get = (): AnalyticsLike | undefined =>
    explicit ?? ((window as unknown as { analytics?: AnalyticsLike }).analytics || undefined)

  const peek = (): Identity => {
    const u = loadedUser(get())
    if (u) return fromUser(u)
    const traits = lsGet<{ email?: unknown }>('ajs_user_traits')
    return {
      anonymousId: stored('ajs_anonymous_id'),
      userId: stored('ajs_user_id'),
      email: typeof traits?.email === 'string' ? traits.email : null,
    }
  }

  const call = (method: string, args: unknown[], done?: Done): boolean => {
    const a = get() as unknown as Record<string, unknown> | undefined
    if (!a) return false
    // analytics.js invokes a trailing callback with the event context once delivery was attempted.
    const cb = done && ((ctx: { failedDelivery?: () => unknown } | undefined) => done(!ctx?.failedDelivery?.()))
    const all = cb ? [...args, cb] : args
    try {
      const fn = a[method]
      if (typeof fn === 'function') {
        const r = (fn as Fn).apply(a, all) as { catch?: (f: () => void) => void } | undefined
        r?.catch?.(() => done?.(false)) // AnalyticsBrowser rejects when loading failed
      } else if (Array.isArray(a)) a.push([method, ...all]) // a stub we queued into before the snippet ran
      else return false
      return true
    } catch {
      return false
    }
  }

  const identity = async (timeoutMs = 3000): Promise<Identity | null> => {
    const a = get()
    if (!a) return null
    const now = peek()
    if (loadedUser(a) || now.anonymousId) return now.anonymousId ? now : null
    // First page view, analytics.js not loaded yet: wait for it (buffered `user()` or `ready`).
    return new Promise<Identity | null>((resolve) => {
      const finish = () => { const p = peek(); resolve(p.anonymousId ? p : null) }
      const timer = setTimeout(finish, timeoutMs)
      const settle = () => { clearTimeout(timer); finish() }
      if (a.instance !== undefined || typeof (a as { load?: unknown }).load === 'function' && !Array.isArray(a)) {
        Promise.resolve(a.user?.()).then(settle, settle)
      } else if (!call('ready', [settle])) settle()
    })
  }

  return { present: () => !!get(), peek, identity, call }
}

/** Register a source middleware on any analytics shape (buffered until analytics.js loads). */
export function addMiddleware(seg: Segment, fn: SourceMiddleware): boolean {
  return seg.call('addSourceMiddleware', [fn])
}
