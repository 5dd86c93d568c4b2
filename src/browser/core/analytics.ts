// The adapter over Segment's three shapes: an `AnalyticsBrowser` (npm), a loaded
// `window.analytics`, and the snippet's buffering stub (or our own queue array, when the tag is
// placed before the snippet). Every access is guarded: a broken or blocked analytics never
// throws into the page.
import { readCookie } from './cookie'
import type { AnalyticsLike, SegmentPlugin, SegmentUtilityPlugin } from '../types'
import { version } from '../../shared/version'
import { readStored, storedKeys } from './storage'
import { readState, type BrowserState } from './state'

/** Where the analytics object is read from, on each use (the snippet may replace it). */
export type AnalyticsSource = () => AnalyticsLike | undefined

/** Who the visitor is now. */
export interface Visitor {
  anonymousId: string | null
  userId: string | null
  /** The email trait analytics.js remembers, if any. */
  email: unknown
  /** mailstitch's state cookie, read before analytics.js's ids (see `currentVisitor`). */
  state: BrowserState
}

type UserLike = { anonymousId(): string | null; id(): string | null; traits(): { email?: unknown } | undefined }
/** The part of a loaded analytics.js instance mailstitch reads (`options` is the public `Analytics.options`). */
type LoadedAnalytics = { user(): UserLike; options?: { retryQueue?: boolean } }

/** An analytics.js key as analytics-next reads it: localStorage first (JSON), then the cookie. */
function storedKey(key: string): string | null {
  const value = readStored(key)
  if (typeof value === 'string' && value) return value
  return readCookie(key)?.replace(/^"|"$/g, '') || null
}

/** The loaded analytics.js instance behind any of the shapes; `undefined` before it loads. */
function loadedInstance(source: AnalyticsSource): LoadedAnalytics | undefined {
  try {
    const analytics = source()
    if (!analytics) return undefined
    if (analytics.instance) return analytics.instance as LoadedAnalytics
    if (analytics.initialized) return analytics as unknown as LoadedAnalytics
  } catch { /* a hostile object */ }
  return undefined
}

/** True once analytics.js has loaded (calls then go to it, and its persisted queue owns delivery). */
export function isLoaded(source: AnalyticsSource): boolean {
  return loadedInstance(source) !== undefined
}

/**
 * The visitor from the loaded instance, else from analytics.js's own storage (before it loads),
 * with the state cookie. That cookie is read first: analytics-next re-writes its cookies as it
 * reads its ids (`user().id()`), and a cookie read after a write waits for a synchronous call to
 * the browser process (about 1 ms each in Chromium; bench row 3). Read once per decision, and
 * written back with `writeState(patch, visitor.state)`, the state costs no such wait.
 */
export function currentVisitor(source: AnalyticsSource): Visitor {
  const state = readState()
  try {
    const user = loadedInstance(source)?.user()
    if (user) return { anonymousId: user.anonymousId(), userId: user.id(), email: user.traits()?.email, state }
  } catch { /* not loaded after all */ }
  const traits = readStored<{ email?: unknown }>('ajs_user_traits')
  return { anonymousId: storedKey('ajs_anonymous_id'), userId: storedKey('ajs_user_id'), email: traits?.email, state }
}

/**
 * Call `method` on the analytics object, or push it onto the queue array a snippet that runs
 * later adopts. Never throws. Returns what the method returned: from analytics.js, a promise of
 * the event's context, settled once delivery was attempted (a rejection, as from an
 * AnalyticsBrowser that failed to load, is handled here; the caller's own `then` still needs one).
 */
export function callAnalytics(source: AnalyticsSource, method: string, args: unknown[]): unknown {
  try {
    const analytics = source() as unknown as Record<string, unknown> & { push?(call: unknown[]): void }
    const fn = analytics[method]
    if (typeof fn === 'function') {
      const result = fn.apply(analytics, args) as { catch?(onError: () => void): void } | undefined
      result?.catch?.(() => {})
      return result
    }
    if (typeof analytics.push === 'function') analytics.push([method, ...args])
  } catch { /* no analytics, or a broken one */ }
}

/**
 * The messageIds analytics.js has persisted to resend to Segment on the next page load, written
 * by its own `pagehide` listeners: its event queue (`persisted-queue:v1:<writeKey>:event-queue:items`)
 * and the Segment.io destination's buffer (`…:dest-Segment.io:items`, queued and in-flight
 * requests). A device-mode destination's buffer (`…:dest-<name>:items`) does not count: it does
 * not resend to Segment. None count when the loaded analytics.js runs without its retry queue
 * (`retryQueue: false` in the source's settings): it then drops what it persisted on the next
 * page (one attempt allowed, already spent). The job runner asks at `pagehide`, after
 * analytics.js's own listeners ran (see job-runner.ts).
 *
 * Read strictly (this key version, this buffer name, items whose `event.messageId` is a string):
 * a format analytics-next changes is then not read at all, and its steps stay in the outbox, to
 * be sent again with the same messageId (a duplicate Segment drops, never a loss; proved in
 * index.test.ts, "in a format it does not know").
 */
export function persistedByAnalytics(source: AnalyticsSource): Set<string> {
  const ids = new Set<string>()
  try {
    if (loadedInstance(source)?.options?.retryQueue === false) return ids
    for (const key of storedKeys(/^persisted-queue:v1:.*:(event-queue|dest-Segment\.io):items$/)) {
      const items = readStored<{ event?: { messageId?: unknown } }[]>(key)
      for (const item of Array.isArray(items) ? items : []) {
        if (typeof item?.event?.messageId === 'string') ids.add(item.event.messageId)
      }
    }
  } catch { /* storage unavailable, a hostile object */ }
  return ids
}

/**
 * How many requests to Segment's tracking API (`…/v1/t`, `/p`, `/i`, `/g`, `/a`, `/s`, one event
 * each; `/b`, a batch, counts once) the page started before `time` (a `performance.now()`), from
 * the Resource Timing entries (a request still in flight is not listed yet).
 */
function segmentRequestsBefore(time: number): number {
  try {
    return performance.getEntriesByType('resource').filter((entry) => entry.startTime < time && /\/v1\/[tpigasb]$/.test(new URL(entry.name).pathname)).length
  } catch {
    return 0 // no Resource Timing
  }
}

/**
 * `segmentRequestsBefore(time)`, where analytics.js was up before `time`: Resource Timing lists a
 * request only once it ended, and the core of a tag placed too late can start while the page's
 * request is still in flight, so with none listed yet it counts again after `waitMs`.
 */
export async function segmentRequestsSentBefore(time: number, waitMs: number): Promise<number> {
  const listed = segmentRequestsBefore(time)
  if (listed > 0) return listed
  await new Promise((resolve) => setTimeout(resolve, waitMs))
  return segmentRequestsBefore(time)
}

/** Resolves true once analytics.js has loaded; with `timeoutMs`, false after that long without it. */
export function whenLoaded(source: AnalyticsSource, timeoutMs?: number): Promise<boolean> {
  if (isLoaded(source)) return Promise.resolve(true)
  return new Promise((resolve) => {
    if (timeoutMs !== undefined) setTimeout(() => resolve(isLoaded(source)), timeoutMs)
    if (source()) callAnalytics(source, 'ready', [() => resolve(isLoaded(source))])
  })
}

/**
 * Register `plugin` the analytics-next way: `register`, which the snippet's stub and
 * AnalyticsBrowser buffer until analytics.js loads. Returns the function that takes it out again.
 */
export function registerPlugin(source: AnalyticsSource, plugin: SegmentPlugin | SegmentUtilityPlugin): () => void {
  callAnalytics(source, 'register', [plugin])
  return () => callAnalytics(source, 'deregister', [plugin.name])
}

/**
 * Call `onLoad` once analytics.js has loaded (it has read its own cookies and localStorage by
 * then): a utility plugin, whose `load` analytics-next calls as it registers it, which is sooner
 * than `ready` (that waits for every device-mode destination). Returns the deregistration.
 */
export function onAnalyticsLoad(source: AnalyticsSource, onLoad: () => void): () => void {
  const done = () => Promise.resolve()
  const load = () => {
    onLoad()
    return done()
  }
  return registerPlugin(source, { name: 'mailstitch-start', type: 'utility', version, isLoaded: () => true, load, unload: done })
}
