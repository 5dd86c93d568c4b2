// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSegment } from './analytics'
import type { AnalyticsLike } from './types'

const w = window as unknown as { analytics?: unknown }
const user = (anonymousId: string | null, userId: string | null = null, traits: Record<string, unknown> = {}) =>
  ({ anonymousId: () => anonymousId, id: () => userId, traits: () => traits })
function clearCookies() {
  for (const c of document.cookie.split(';')) {
    const n = c.split('=')[0]!.trim()
    if (n) document.cookie = n + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  }
}

beforeEach(() => {
  localStorage.clear()
  clearCookies()
  delete w.analytics
})
afterEach(() => {
  delete w.analytics
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('present()', () => {
  it('reads window.analytics at each use when no analytics was passed', () => {
    const seg = createSegment()
    expect(seg.present()).toBe(false)
    w.analytics = []
    expect(seg.present()).toBe(true)
  })
  it('is true for an explicit analytics', () => {
    expect(createSegment({ identify() {}, track() {} }).present()).toBe(true)
  })
})

describe('peek()', () => {
  it('a loaded analytics.js (window.analytics, initialized): its user', () => {
    w.analytics = { initialized: true, user: () => user('anon-1', 'user-1', { email: 'a@b.co' }) }
    expect(createSegment().peek()).toEqual({ anonymousId: 'anon-1', userId: 'user-1', email: 'a@b.co' })
  })

  it('a loaded AnalyticsBrowser: instance.user()', () => {
    const ab = { instance: { user: () => user('anon-2') }, user: () => Promise.resolve(user('wrong')), identify() {}, track() {} }
    expect(createSegment(ab as AnalyticsLike).peek()).toEqual({ anonymousId: 'anon-2', userId: null, email: undefined })
  })

  it('not loaded yet (snippet stub / AnalyticsBrowser before load): analytics.js storage, localStorage first', () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    localStorage.setItem('ajs_user_id', JSON.stringify('user-ls'))
    localStorage.setItem('ajs_user_traits', JSON.stringify({ email: 'ls@example.com', name: 'x' }))
    document.cookie = 'ajs_anonymous_id=anon-cookie; path=/'
    w.analytics = []
    expect(createSegment().peek()).toEqual({ anonymousId: 'anon-ls', userId: 'user-ls', email: 'ls@example.com' })
  })

  it('falls back to the cookies, with or without the legacy quotes', () => {
    document.cookie = 'ajs_anonymous_id=' + encodeURIComponent('"anon-quoted"') + '; path=/'
    document.cookie = 'ajs_user_id=user-raw; path=/'
    expect(createSegment({ identify() {}, track() {} }).peek()).toEqual({ anonymousId: 'anon-quoted', userId: 'user-raw', email: undefined })
  })

  it('nothing stored: nulls', () => {
    expect(createSegment().peek()).toEqual({ anonymousId: null, userId: null, email: undefined })
  })

  it('a user() that throws falls back to storage', () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    w.analytics = { initialized: true, user: () => { throw new Error('x') } }
    expect(createSegment().peek().anonymousId).toBe('anon-ls')
  })

  it('a non-string stored value is ignored', () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify({ id: 1 }))
    expect(createSegment().peek().anonymousId).toBeNull()
  })
})

describe('call()', () => {
  it('calls the method with the args on the object (this bound) and returns true', () => {
    const seen: unknown[] = []
    const a = { identify(this: unknown, ...args: unknown[]) { seen.push(this, ...args) }, track() {} }
    expect(createSegment(a).call('identify', ['u1', { email: 'a@b.co' }])).toBe(true)
    expect(seen).toEqual([a, 'u1', { email: 'a@b.co' }])
  })

  it('appends a callback: done(true) on delivery, done(false) when failedDelivery()', () => {
    const done = vi.fn()
    let cb!: (ctx?: unknown) => void
    const a = { identify() {}, track: (...args: unknown[]) => void (cb = args.at(-1) as typeof cb) }
    const seg = createSegment(a)
    seg.call('track', ['E', {}], done)
    cb({ failedDelivery: () => undefined })
    seg.call('track', ['E', {}], done)
    cb({ failedDelivery: () => ({ reason: new Error('x') }) })
    seg.call('track', ['E', {}], done)
    cb()
    expect(done.mock.calls).toEqual([[true], [false], [true]])
  })

  it('done(false) when the call returns a rejected promise (AnalyticsBrowser that failed to load)', async () => {
    const done = vi.fn()
    const a = { identify: () => Promise.reject(new Error('load failed')), track() {} }
    expect(createSegment(a).call('identify', [{}], done)).toBe(true)
    await new Promise((r) => setTimeout(r, 0))
    expect(done).toHaveBeenCalledWith(false)
  })

  it('pushes [method, ...args] onto a bare array (our queue before the snippet)', () => {
    const q: unknown[] = []
    w.analytics = q
    expect(createSegment().call('setAnonymousId', ['tok-12345'])).toBe(true)
    expect(q).toEqual([['setAnonymousId', 'tok-12345']])
  })

  it('uses the snippet stub’s own method when it has one', () => {
    const q: unknown[][] = []
    const stub = Object.assign(q, { track: (...a: unknown[]) => void q.push(['track', ...a]) })
    w.analytics = stub
    createSegment().call('track', ['E', { a: 1 }])
    expect([...q]).toEqual([['track', 'E', { a: 1 }]])
  })

  it('false when there is no analytics, no such method, or the method throws', () => {
    expect(createSegment().call('track', ['E'])).toBe(false)
    expect(createSegment({ identify() {}, track() {} }).call('setAnonymousId', ['x'])).toBe(false)
    expect(createSegment({ identify() {}, track: () => { throw new Error('x') } }).call('track', ['E'])).toBe(false)
  })
})

describe('identity()', () => {
  it('null without analytics', async () => {
    expect(await createSegment().identity()).toBeNull()
  })

  it('immediate when an id is known', async () => {
    w.analytics = { initialized: true, user: () => user('anon-1', 'u') }
    expect(await createSegment().identity()).toEqual({ anonymousId: 'anon-1', userId: 'u', email: undefined })
  })

  it('first page view: waits for ready, then reads the id analytics.js created', async () => {
    let id: string | null = null
    let ready!: () => void
    w.analytics = { initialized: true, user: () => user(id), ready: (cb: () => void) => void (ready = cb) }
    const p = createSegment().identity()
    await new Promise((r) => setTimeout(r, 0))
    id = 'anon-new'
    ready()
    expect(await p).toMatchObject({ anonymousId: 'anon-new' })
  })

  it('analytics never loads: null after 3 s', async () => {
    vi.useFakeTimers()
    w.analytics = []
    let got: unknown = 'pending'
    void createSegment().identity().then((v) => (got = v))
    await vi.advanceTimersByTimeAsync(2_999)
    expect(got).toBe('pending')
    await vi.advanceTimersByTimeAsync(2)
    expect(got).toBeNull()
  })
})
