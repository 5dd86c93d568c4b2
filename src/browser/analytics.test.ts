// @vitest-environment happy-dom
// The Segment adapter inside createMailstitch: the three analytics shapes (AnalyticsBrowser,
// loaded window.analytics, the snippet's stub or our own queue), identity from analytics.js's
// user or its storage, and delivery callbacks.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMailstitch } from './index'
import type { AnalyticsLike, Mailstitch } from './types'

const w = window as unknown as { analytics?: unknown }
const OUTBOX = 'mailstitch:outbox'
const user = (anonymousId: string | null, userId: string | null = null, traits: Record<string, unknown> = {}) =>
  ({ anonymousId: () => anonymousId, id: () => userId, traits: () => traits })
function clearCookies() {
  for (const c of document.cookie.split(';')) {
    const n = c.split('=')[0]!.trim()
    if (n) document.cookie = n + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  }
}
const tick = () => new Promise((r) => setTimeout(r, 0))
let instances: Mailstitch[] = []
const start = (analytics?: unknown) => {
  const s = createMailstitch({ analytics: analytics as AnalyticsLike })
  instances.push(s)
  return s
}
/** A recording analytics method: `calls` gets `[name, this, ...args]`; the trailing callback is kept apart. */
const recorder = (calls: unknown[][], deliver?: (cb: (ctx?: unknown) => void) => void) =>
  (name: string) => function (this: unknown, ...args: unknown[]) {
    const cb = typeof args.at(-1) === 'function' ? (args.pop() as (ctx?: unknown) => void) : undefined
    calls.push([name, this, ...args])
    if (cb) deliver?.(cb)
  }

beforeEach(() => {
  localStorage.clear()
  clearCookies()
  history.replaceState(null, '', '/')
  delete w.analytics
})
afterEach(() => {
  instances.splice(0).forEach((s) => s.destroy())
  delete w.analytics
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('which analytics', () => {
  it('reads window.analytics at each use when none was passed', async () => {
    const s = start()
    expect(await s.capture('a@example.com')).toEqual({ ok: false, reason: 'no_analytics' })
    w.analytics = { initialized: true, user: () => user('anon-1'), identify() {}, track() {} }
    expect(await s.capture('b@example.com')).toMatchObject({ ok: true, anonymousId: 'anon-1' })
  })

  it('an explicit analytics wins over window.analytics', async () => {
    w.analytics = { initialized: true, user: () => user('anon-window'), identify() {}, track() {} }
    const s = start({ initialized: true, user: () => user('anon-explicit'), identify() {}, track() {} })
    expect(await s.capture('a@example.com')).toMatchObject({ anonymousId: 'anon-explicit' })
  })
})

describe('identity', () => {
  it('a loaded analytics.js: its user (anonymousId and userId)', async () => {
    const calls: unknown[][] = []
    const rec = recorder(calls)
    w.analytics = { initialized: true, user: () => user('anon-1', 'user-1', { email: 'a@b.co' }), identify: rec('identify'), track: rec('track') }
    expect(await start().capture('ada@example.com')).toMatchObject({ anonymousId: 'anon-1' })
    expect(calls[0]!.slice(0, 3)).toEqual(['identify', w.analytics, 'user-1'])
  })

  it('a loaded AnalyticsBrowser: instance.user(), not the promise-returning user()', async () => {
    const ab = { instance: { user: () => user('anon-2') }, user: () => Promise.resolve(user('wrong')), identify() {}, track() {} }
    expect(await start(ab).capture('ada@example.com')).toMatchObject({ anonymousId: 'anon-2' })
  })

  it('not loaded yet (snippet stub): analytics.js storage, localStorage first; calls queue on the stub', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    localStorage.setItem('ajs_user_id', JSON.stringify('user-ls'))
    document.cookie = 'ajs_anonymous_id=anon-cookie; path=/'
    const q: unknown[][] = []
    w.analytics = q
    expect(await start().capture('ada@example.com')).toMatchObject({ ok: true, anonymousId: 'anon-ls' })
    expect(q.map((c) => c[0])).toEqual(['identify', 'track'])
    expect(q[0]![1]).toBe('user-ls')
  })

  it('the email trait in analytics.js storage counts as identified (a link is not adopted)', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    localStorage.setItem('ajs_user_traits', JSON.stringify({ email: 'ls@example.com' }))
    history.replaceState(null, '', '/?mst=0b7c0a52-8c1e-4c43-9d2f-1b1f7e0c9a11')
    const q: unknown[][] = []
    w.analytics = q
    await start().ready()
    expect(q).toContainEqual(['track', 'Email Link Landed', { outcome: 'kept' }])
  })

  it.each([
    ['with the legacy quotes', encodeURIComponent('"anon-quoted"'), 'anon-quoted'],
    ['raw', 'anon-raw-1', 'anon-raw-1'],
  ])('falls back to the cookie, %s', async (_, cookie, expected) => {
    document.cookie = 'ajs_anonymous_id=' + cookie + '; path=/'
    document.cookie = 'ajs_user_id=user-raw; path=/'
    const q: unknown[][] = []
    w.analytics = q
    expect(await start().capture('ada@example.com')).toMatchObject({ anonymousId: expected })
    expect(q[0]![1]).toBe('user-raw')
  })

  it('a user() that throws falls back to storage', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    w.analytics = { initialized: true, user: () => { throw new Error('x') }, identify() {}, track() {} }
    expect(await start().capture('ada@example.com')).toMatchObject({ anonymousId: 'anon-ls' })
  })

  it('a non-string stored value is ignored', async () => {
    vi.useFakeTimers()
    localStorage.setItem('ajs_anonymous_id', JSON.stringify({ id: 1 }))
    w.analytics = []
    const p = start().capture('ada@example.com')
    await vi.advanceTimersByTimeAsync(3001)
    expect(await p).toEqual({ ok: false, reason: 'no_analytics' })
  })

  it('no analytics at all: no_analytics at once, even with an id stored', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    expect(await start().capture('ada@example.com')).toEqual({ ok: false, reason: 'no_analytics' })
  })

  it('first page view: waits for ready, then uses the id analytics.js created', async () => {
    let id: string | null = null
    let ready!: () => void
    w.analytics = { initialized: true, user: () => user(id), ready: (cb: () => void) => void (ready = cb), identify() {}, track() {} }
    const p = start().capture('ada@example.com')
    await tick()
    id = 'anon-new'
    ready()
    expect(await p).toMatchObject({ ok: true, anonymousId: 'anon-new' })
  })

  it('analytics never loads: no_analytics after 3 s', async () => {
    vi.useFakeTimers()
    w.analytics = []
    let got: unknown = 'pending'
    void start().capture('ada@example.com').then((v) => (got = v))
    await vi.advanceTimersByTimeAsync(2_999)
    expect(got).toBe('pending')
    await vi.advanceTimersByTimeAsync(2)
    expect(got).toEqual({ ok: false, reason: 'no_analytics' })
  })
})

describe('calls and delivery', () => {
  it('calls the method on the analytics object (this bound)', async () => {
    const calls: unknown[][] = []
    const rec = recorder(calls)
    const a = { initialized: true, user: () => user('anon-1'), identify: rec('identify'), track: rec('track') }
    await start(a).capture('ada@example.com')
    expect(calls.map((c) => [c[0], c[1]])).toEqual([['identify', a], ['track', a]])
  })

  it.each([
    ['delivered: confirmed', { failedDelivery: () => undefined }, true],
    ['failedDelivery(): not confirmed', { failedDelivery: () => ({ reason: new Error('x') }) }, false],
    ['no context: confirmed', undefined, true],
  ])('the delivery callback, %s', async (_, ctx, confirmed) => {
    const calls: unknown[][] = []
    const rec = recorder(calls, (cb) => cb(ctx))
    await start({ initialized: true, user: () => user('anon-1'), identify: rec('identify'), track: rec('track') }).capture('ada@example.com')
    await tick()
    if (confirmed) expect(localStorage.getItem(OUTBOX)).toBeNull()
    else expect(localStorage.getItem(OUTBOX)).toContain('ada@example.com')
  })

  it('a call returning a rejected promise (AnalyticsBrowser that failed to load) is not confirmed, not unhandled', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const a = { initialized: true, user: () => user('anon-1'), identify: () => Promise.reject(new Error('load failed')), track: () => Promise.reject(new Error('y')) }
      expect(await start(a).capture('ada@example.com')).toMatchObject({ ok: true })
      await tick()
      expect(localStorage.getItem(OUTBOX)).toContain('ada@example.com')
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('pushes [method, ...args] onto a bare array (our queue before the snippet)', async () => {
    history.replaceState(null, '', '/?mst=tok-1234567')
    await start().ready()
    const q = w.analytics as unknown[][]
    expect(Array.isArray(q)).toBe(true)
    expect(q.map((c) => c[0])).toEqual(['addSourceMiddleware', 'setAnonymousId', 'track'])
    expect(q[1]).toEqual(['setAnonymousId', 'tok-1234567'])
  })

  it('uses the snippet stub’s own method when it has one', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    const q: unknown[][] = []
    w.analytics = Object.assign(q, { track: (...a: unknown[]) => void q.push(['stub-track', ...a]) })
    await start().capture('ada@example.com')
    expect(q.map((c) => c[0])).toEqual(['identify', 'stub-track'])
  })

  it('a missing method or one that throws never throws', async () => {
    const a = { initialized: true, user: () => user('anon-1'), identify: () => { throw new Error('x') } }
    expect(await start(a).capture('ada@example.com')).toMatchObject({ ok: true })
  })
})
