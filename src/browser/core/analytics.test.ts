// @vitest-environment happy-dom
// The Segment adapter: the three analytics shapes (AnalyticsBrowser, a loaded window.analytics,
// the snippet's stub or our own queue array), identity from analytics.js's user or its storage.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { callAnalytics, currentVisitor, isLoaded, onAnalyticsLoad, persistedByAnalytics, registerPlugin, whenLoaded, type AnalyticsSource } from './analytics'
import type { AnalyticsLike, SegmentPlugin, SegmentUtilityPlugin } from '../types'

const user = (anonymousId: string | null, userId: string | null = null, traits: Record<string, unknown> = {}) =>
  ({ anonymousId: () => anonymousId, id: () => userId, traits: () => traits })
const source = (analytics: unknown): AnalyticsSource => () => analytics as AnalyticsLike
function clearCookies() {
  for (const c of document.cookie.split(';')) {
    const n = c.split('=')[0]!.trim()
    if (n) document.cookie = n + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  }
}

beforeEach(() => {
  localStorage.clear()
  clearCookies()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('isLoaded', () => {
  it('a loaded window.analytics (initialized) or an AnalyticsBrowser with its instance; not the stub, not nothing', () => {
    expect(isLoaded(source({ initialized: true, user: () => user('a') }))).toBe(true)
    expect(isLoaded(source({ instance: { user: () => user('a') } }))).toBe(true)
    expect(isLoaded(source(Object.assign([], { identify() {} })))).toBe(false)
    expect(isLoaded(source(undefined))).toBe(false)
    expect(isLoaded(() => { throw new Error('hostile') })).toBe(false)
  })
})

describe('currentVisitor', () => {
  it('from the loaded instance (AnalyticsBrowser: through .instance)', () => {
    expect(currentVisitor(source({ instance: { user: () => user('anon-1', 'u-1', { email: 'a@b.co' }) } }))).toEqual({ anonymousId: 'anon-1', userId: 'u-1', email: 'a@b.co', state: {} })
    expect(currentVisitor(source({ initialized: true, user: () => user('anon-2') }))).toEqual({ anonymousId: 'anon-2', userId: null, email: undefined, state: {} })
  })

  it('before analytics.js loads: its own storage, localStorage first (JSON)', () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-ls'))
    localStorage.setItem('ajs_user_id', JSON.stringify('user-ls'))
    localStorage.setItem('ajs_user_traits', JSON.stringify({ email: 'ls@example.com' }))
    document.cookie = 'ajs_anonymous_id=anon-cookie; path=/'
    expect(currentVisitor(source([]))).toEqual({ anonymousId: 'anon-ls', userId: 'user-ls', email: 'ls@example.com', state: {} })
  })

  it('falls back to the cookie, with or without the legacy quotes', () => {
    document.cookie = `ajs_anonymous_id=${encodeURIComponent('"anon-quoted"')}; path=/`
    document.cookie = 'ajs_user_id=user-raw; path=/'
    expect(currentVisitor(source(undefined))).toEqual({ anonymousId: 'anon-quoted', userId: 'user-raw', email: undefined, state: {} })
  })

  it('nothing known: nulls', () => {
    expect(currentVisitor(source(undefined))).toEqual({ anonymousId: null, userId: null, email: undefined, state: {} })
  })

  it('reads the state cookie before analytics.js reads its ids (which re-writes its cookies: a read after a write waits on the browser)', () => {
    document.cookie = 'mst_state=' + encodeURIComponent(JSON.stringify({ c: 1, b: 'anon-1' })) + '; path=/'
    const order: string[] = []
    const cookies = document.cookie
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => {
      order.push('cookie read')
      return cookies
    })
    const ids = user('anon-1', 'u-1')
    const tracked = { ...ids, id: () => (order.push('analytics.js ids'), ids.id()) }
    const visitor = currentVisitor(source({ initialized: true, user: () => tracked }))
    expect(visitor.state).toEqual({ captured: 1, bridgeId: 'anon-1' })
    expect(order).toEqual(['cookie read', 'analytics.js ids'])
  })
})

describe('callAnalytics', () => {
  it('calls the method on its object', () => {
    const calls: unknown[][] = []
    const analytics = { track(this: unknown, ...args: unknown[]) { calls.push([this, ...args]) } }
    callAnalytics(source(analytics), 'track', ['E', { a: 1 }])
    expect(calls).toEqual([[analytics, 'E', { a: 1 }]])
  })

  it('pushes [method, ...args] onto a bare array (our queue before the snippet)', () => {
    const q: unknown[][] = []
    callAnalytics(source(q), 'setAnonymousId', ['x'])
    expect(q).toEqual([['setAnonymousId', 'x']])
  })

  it('never throws, and swallows a rejected call promise (AnalyticsBrowser that failed to load)', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    expect(() => callAnalytics(source({ track: () => { throw new Error('x') } }), 'track', [])).not.toThrow()
    expect(() => callAnalytics(source(undefined), 'track', [])).not.toThrow()
    callAnalytics(source({ track: () => Promise.reject(new Error('load failed')) }), 'track', [])
    await new Promise((r) => setTimeout(r, 0))
    process.off('unhandledRejection', unhandled)
    expect(unhandled).not.toHaveBeenCalled()
  })
})

describe('whenLoaded', () => {
  it('at once when loaded', async () => {
    await expect(whenLoaded(source({ initialized: true }))).resolves.toBe(true)
  })

  it('on ready (a stub queue: the ready call is queued for analytics.js)', async () => {
    const a: { initialized?: boolean; ready(cb: () => void): void } = { ready: (cb) => setTimeout(() => { a.initialized = true; cb() }, 100) }
    vi.useFakeTimers()
    const loaded = whenLoaded(source(a), 3000)
    await vi.advanceTimersByTimeAsync(100)
    await expect(loaded).resolves.toBe(true)
  })

  it('false after the time-out when analytics.js never loads (blocked)', async () => {
    vi.useFakeTimers()
    const q: unknown[][] = []
    const loaded = whenLoaded(source(q), 3000)
    expect(q.map((c) => c[0])).toEqual(['ready'])
    await vi.advanceTimersByTimeAsync(3000)
    await expect(loaded).resolves.toBe(false)
  })
})

describe('registerPlugin', () => {
  const plugin = { name: 'mailstitch' } as SegmentPlugin

  it('registers with analytics-next and returns the deregistration', () => {
    const calls: unknown[][] = []
    const a = { register: (...p: unknown[]) => void calls.push(['register', ...p]), deregister: (...n: unknown[]) => void calls.push(['deregister', ...n]) }
    const undo = registerPlugin(source(a), plugin)
    expect(calls).toEqual([['register', plugin]])
    undo()
    expect(calls.at(-1)).toEqual(['deregister', 'mailstitch'])
  })

  it('queues both on the snippet array before analytics.js loads (analytics-next flushes buffered register calls)', () => {
    const q: unknown[][] = []
    registerPlugin(source(q), plugin)()
    expect(q).toEqual([['register', plugin], ['deregister', 'mailstitch']])
  })
})

describe('persistedByAnalytics', () => {
  const persist = (key: string, value: unknown) => localStorage.setItem(key, typeof value === 'string' ? value : JSON.stringify(value))
  const loaded = (options?: object) => source({ initialized: true, options, user: () => user('anon-1') })

  it('the messageIds analytics.js will resend to Segment: its event queue and the Segment.io buffer, nothing else', () => {
    persist('persisted-queue:v1:WK:dest-Segment.io:items', [{ id: 'c1', event: { messageId: 'mst-1-i' } }, { id: 'c2', event: { messageId: 'ajs-next-2' } }])
    persist('persisted-queue:v1:WK:event-queue:items', [{ id: 'c3', event: { messageId: 'mst-1-t' } }])
    persist('persisted-queue:v1:WK:dest-Segment.io:seen', { 'mst-9-i': 1 })
    persist('persisted-queue:v1:WK:dest-Google Analytics:items', [{ id: 'c4', event: { messageId: 'mst-2-i' } }]) // a device-mode destination's buffer
    persist('other:items', [{ event: { messageId: 'not-a-queue' } }])
    expect([...persistedByAnalytics(loaded({ retryQueue: true }))].sort()).toEqual(['ajs-next-2', 'mst-1-i', 'mst-1-t'])
  })

  it('none with retryQueue: false (analytics.js drops what it persisted on the next page)', () => {
    persist('persisted-queue:v1:WK:dest-Segment.io:items', [{ id: 'c1', event: { messageId: 'mst-1-i' } }])
    expect([...persistedByAnalytics(loaded({}))]).toEqual(['mst-1-i']) // positive signal: the key is read
    expect(persistedByAnalytics(loaded({ retryQueue: false })).size).toBe(0)
  })

  it('corrupt or odd entries are skipped; storage that throws gives an empty set', () => {
    persist('persisted-queue:v1:A:event-queue:items', '{not json')
    persist('persisted-queue:v1:B:event-queue:items', { not: 'a list' })
    persist('persisted-queue:v1:C:dest-Segment.io:items', [null, { event: { messageId: 7 } }, { event: { messageId: 'ok' } }])
    expect([...persistedByAnalytics(loaded())]).toEqual(['ok'])
    vi.spyOn(localStorage, 'key').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError')
    })
    expect(persistedByAnalytics(loaded()).size).toBe(0)
  })
})

describe('onAnalyticsLoad', () => {
  it('registers a utility plugin whose load (analytics-next calls it as it adds the plugin) calls back; the undo deregisters it', async () => {
    const registered: SegmentUtilityPlugin[] = []
    const deregistered: string[] = []
    const a = { register: (p: SegmentUtilityPlugin) => void registered.push(p), deregister: (n: string) => void deregistered.push(n) }
    const onLoad = vi.fn()
    const undo = onAnalyticsLoad(source(a), onLoad)
    expect(registered).toHaveLength(1)
    expect(registered[0]).toMatchObject({ name: 'mailstitch-start', type: 'utility', version: expect.any(String) })
    expect(registered[0]!.isLoaded()).toBe(true)
    expect(onLoad).not.toHaveBeenCalled()
    await expect(registered[0]!.load()).resolves.toBeUndefined()
    expect(onLoad).toHaveBeenCalledTimes(1)
    undo()
    expect(deregistered).toEqual(['mailstitch-start'])
  })
})
