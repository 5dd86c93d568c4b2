// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMailstitch } from '../index'
import type { AnalyticsLike, MailstitchOptions, PluginContext, SegmentPlugin } from '../types'
import type { Runner } from './context'
import {
  endTest, fakeAnalytics as sharedFakeAnalytics, fakeFetch, ready, resetPage, runFakeTime, startWith, stateCookie, tick, type FakeAnalyticsInit, type PluginRun,
} from '../../../test/helpers/browser-fakes'
import { EARLY_REQUEST_WAIT_MS } from './delivery'

const T = '0b7c0a52-8c1e-4c43-9d2f-1b1f7e0c9a11' // a Segment anonymousId from another browser
const PREV = 'anon-prev-2222'

/** The shared fake analytics.js, on the id this browser had before the landing. */
const fakeAnalytics = (init: FakeAnalyticsInit = {}) =>
  sharedFakeAnalytics({ ...init, anonymousId: init.anonymousId === undefined ? PREV : init.anonymousId })
const setState = (v: object) => { document.cookie = 'mst_state=' + encodeURIComponent(JSON.stringify(v)) + '; path=/' }
const go = (pathAndQuery: string) => history.replaceState(null, '', pathAndQuery)
const start = (o: MailstitchOptions) => startWith({}, o)

beforeEach(() => {
  resetPage()
  fakeFetch()
})
afterEach(endTest)

/** Await `s.ready()` on a page where analytics.js never loads: under fake timers, past the landing's 3 s wait for it. */
async function pastLoadWait(s: ReturnType<typeof start>): Promise<void> {
  await runFakeTime(3_000)
  await ready(s)
}

/** Land on `url` (analytics.js as `init` says) and return what the landing did. */
/** A landing whose consent function never answers (fake timers), one event sent through its held middleware. */
function holdPageEventUnanswered() {
  vi.useFakeTimers()
  go(`/?mst=${T}`)
  const fa = fakeAnalytics()
  start({ analytics: fa.analytics, consent: () => new Promise<boolean>(() => {}) })
  const next = vi.fn()
  fa.mws[0]!({ payload: { obj: { anonymousId: PREV } }, next })
  return { fa, next }
}

async function landOn(url: string, o: MailstitchOptions = {}, init: FakeAnalyticsInit = {}) {
  go(url)
  const fa = fakeAnalytics(init)
  // analytics.js is up before mailstitch here: the report waits for a first Segment request to be listed (none is).
  vi.useFakeTimers()
  const s = start({ analytics: fa.analytics, ...o })
  const scrubbed = location.pathname + location.search + location.hash // synchronously
  await ready(s)
  await runFakeTime(EARLY_REQUEST_WAIT_MS)
  return { fa, s, scrubbed }
}

// --- the address bar ---------------------------------------------------------------------

describe('the address bar', () => {

  it('reads a well-formed token and scrubs it from the address bar at once', async () => {
    const { fa, scrubbed } = await landOn(`/products/x?mst=${T}`)
    expect(scrubbed).toBe('/products/x')
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })

  it('leaves the URL alone without the parameter', async () => {
    go('/p?a=1&b=2#h')
    const rs = vi.spyOn(history, 'replaceState')
    await start({ analytics: fakeAnalytics().analytics }).ready()
    expect(rs).not.toHaveBeenCalled()
    expect(location.href).toBe('http://localhost:3000/p?a=1&b=2#h')
  })

  it.each([
    ['<script>', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
    ['quotes', `abc%22def%27ghijk`],
    ['raw quotes', `abc"def'ghijk`],
    ['%00', `${T.slice(0, 10)}%00`],
    ['a Cyrillic а look-alike', `0b7c0%D0%B0-8c1e-4c43-9d2f`],
    ['129 characters', 'a'.repeat(129)],
    ['7 characters', 'abcdefg'],
    ['an empty value', ''],
    ['a + (space)', 'abcd+efgh'],
    ['an undecodable value', '%E0%A4%A'],
  ])('ignores a token with %s, but still scrubs it (and events)', async (_, raw) => {
    const { fa, scrubbed } = await landOn(`/p?utm_source=klaviyo&mst=${raw}&x=1`)
    expect(scrubbed).toBe('/p?utm_source=klaviyo&x=1')
    expect(fa.landed()).toEqual([])
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.mws).toHaveLength(1)
  })

  it('accepts exactly 128 characters', async () => {
    const { fa } = await landOn(`/?mst=${'a'.repeat(128)}`)
    expect(fa.of('setAnonymousId')).toEqual([['a'.repeat(128)]])
  })

  it('two mst parameters with the same value → used', async () => {
    const { fa, scrubbed } = await landOn(`/?mst=${T}&a=1&mst=${T}`)
    expect(scrubbed).toBe('/?a=1')
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })

  it('two mst parameters with different values → ignored (both scrubbed)', async () => {
    const { fa, scrubbed } = await landOn(`/?mst=${T}&mst=other-token-123`)
    expect(scrubbed).toBe('/')
    expect(fa.landed()).toEqual([])
  })

  it('a token only in the hash is ignored and the hash untouched', async () => {
    for (const url of [`/p#mst=${T}`, `/p#/route?mst=${T}`, `/p?a=1#/route?mst=${T}`]) {
      go(url)
      const before = location.href
      const fa = fakeAnalytics()
      const s = start({ analytics: fa.analytics })
      await s.ready()
      s.destroy()
      expect(location.href).toBe(before)
      expect(fa.calls).toEqual([])
    }
  })

  it('with _kx and utm_* parameters: scrubs only the token, keeps the others in order and _kx byte for byte, keeps the hash', async () => {
    const kx = '_kx=eyJrIjoiMSJ9%3D%3D.AbC123'
    const { scrubbed } = await landOn(`/collections/sale?utm_source=klaviyo&utm_medium=email&mst=${T}&${kx}&utm_campaign=Spring%20Sale#reviews`)
    expect(scrubbed).toBe(`/collections/sale?utm_source=klaviyo&utm_medium=email&${kx}&utm_campaign=Spring%20Sale#reviews`)
  })

  it('keeps history.state (SPA routers keep their state there)', async () => {
    history.replaceState({ key: 'abc', idx: 3 }, '', `/?mst=${T}`)
    await start({ analytics: fakeAnalytics().analytics }).ready()
    expect(history.state).toEqual({ key: 'abc', idx: 3 })
  })

  it('does not throw when history.replaceState is refused (sandboxed iframe), and still lands', async () => {
    go(`/?mst=${T}`)
    vi.spyOn(history, 'replaceState').mockImplementation(() => { throw new DOMException('SecurityError') })
    const fa = fakeAnalytics()
    await start({ analytics: fa.analytics }).ready()
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })
})

// --- the decision ------------------------------------------------------------------------------

describe('the landing decision', () => {
  it.each([
    ["token equal to the current anonymousId → 'same'", { anonymousId: T }, {}, {}, 'same'],
    ["…whatever the policy or identity → 'same'", { anonymousId: T, userId: 'u1' }, {}, { linkPolicy: 'never-adopt' }, 'same'],
    ["fresh browser → 'adopted'", {}, {}, {}, 'adopted'],
    ["a userId → 'kept'", { userId: 'user-42' }, {}, {}, 'kept'],
    ["an email trait in analytics.js → 'kept'", { email: 'a@b.co' }, {}, {}, 'kept'],
    ["an email captured in this browser (state cookie) → 'kept'", {}, { c: 1, b: PREV }, {}, 'kept'],
    ["an earlier adoption (state cookie) → 'kept'", {}, { a: 'some-other-token-1', b: 'some-other-token-1' }, {}, 'kept'],
    ["never-adopt → 'kept' even when fresh", {}, {}, { linkPolicy: 'never-adopt' }, 'kept'],
  ] as const)('%s', async (_, who, state, o, outcome) => {
    if (Object.keys(state).length) setState(state)
    const { fa } = await landOn(`/?mst=${T}`, o as MailstitchOptions, who)
    expect(fa.landed().map((l) => (l as { outcome: string }).outcome)).toEqual([outcome])
    expect(fa.of('setAnonymousId')).toEqual(outcome === 'adopted' ? [[T]] : [])
  })

  it('an unreadable state cookie counts as fresh', async () => {
    document.cookie = 'mst_state=%7Bnot-json; path=/'
    const { fa } = await landOn(`/?mst=${T}`)
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }])
  })

  it('adopted: setAnonymousId, state cookie, landed with previous_anonymous_id', async () => {
    const { fa } = await landOn(`/?mst=${T}`)
    expect(fa.registrations).toEqual([{ m: 'register', args: ['mailstitch'] }, { m: 'register', args: ['mailstitch-start'] }])
    expect(fa.calls.map((c) => [c.m, c.args])).toEqual([
      ['setAnonymousId', [T]],
      ['track', ['Email Link Landed', { outcome: 'adopted', previous_anonymous_id: PREV }]],
    ])
    expect(stateCookie()).toEqual({ a: T, b: T })
  })

  it('adopted with no previous id: no previous_anonymous_id', async () => {
    const { fa } = await landOn(`/?mst=${T}`, {}, { anonymousId: null })
    expect(fa.landed()).toEqual([{ outcome: 'adopted' }])
  })

  it.each([
    ['same', { anonymousId: T }],
    ['kept', { userId: 'u1' }],
  ] as const)('%s: only the landed event, no cookie', async (outcome, who) => {
    const { fa } = await landOn(`/?mst=${T}`, {}, who)
    expect(fa.calls.filter((c) => c.m !== 'register').map((c) => [c.m, c.args])).toEqual([['track', ['Email Link Landed', { outcome }]]])
    expect(document.cookie).toBe('')
  })
})

// --- the source middleware ------------------------------------------------------------------

describe('the scrubber plugin', () => {
  /** Start on a landing URL (so the plugin is registered) and return it, as analytics-next runs it. */
  const middleware = (o: MailstitchOptions = {}, url = `/?mst=${T}`) => {
    vi.useFakeTimers()
    go(url)
    const fa = fakeAnalytics()
    start({ analytics: fa.analytics, ...o })
    return { mw: fa.mws[0]!, fa }
  }
  const run = async (mw: PluginRun, obj: Record<string, unknown>) => {
    const next = vi.fn()
    mw({ payload: { obj }, next })
    await tick()
    expect(next).toHaveBeenCalledTimes(1)
    return next.mock.calls[0]![0].obj as Record<string, any>
  }
  const pageEvent = (anonymousId: string) => ({
    type: 'page',
    anonymousId,
    context: {
      page: { url: `https://s.test/p?a=1&mst=${T}#h`, search: `?a=1&mst=${T}`, referrer: `https://s.test/?mst=${T}`, path: '/p', title: 'P' },
      campaign: { source: 'klaviyo' },
    },
    properties: { url: `https://s.test/p?mst=${T}&a=1`, search: `?mst=${T}`, referrer: `https://mail.test/r?x=1&mst=${T}`, name: 'Home' },
  })

  it('strips the token from context.page and properties url/search/referrer, leaves the rest', async () => {
    const o = await run(middleware({ linkPolicy: 'never-adopt' }).mw, pageEvent(PREV))
    expect(o.context.page).toEqual({ url: 'https://s.test/p?a=1#h', search: '?a=1', referrer: 'https://s.test/', path: '/p', title: 'P' })
    expect(o.properties).toEqual({ url: 'https://s.test/p?a=1', search: '', referrer: 'https://mail.test/r?x=1', name: 'Home' })
    expect(o.context.campaign).toEqual({ source: 'klaviyo' })
    expect(o.anonymousId).toBe(PREV)
  })

  it('strips a malformed token too', async () => {
    const o = await run(middleware({}, '/?mst=%3Cscript%3E').mw, { type: 'track', properties: { url: 'https://s.test/?mst=%3Cscript%3E&a=1' } })
    expect(o.properties.url).toBe('https://s.test/?a=1')
  })

  it('holds events while the decision is pending, then re-keys those of the previous id to the adopted one', async () => {
    const asked: ((v: boolean) => void)[] = []
    const allow = (v: boolean) => asked.forEach((r) => r(v))
    const { mw } = middleware({ consent: () => new Promise<boolean>((r) => void asked.push(r)) })
    const next = vi.fn()
    mw({ payload: { obj: { type: 'page', anonymousId: PREV } }, next })
    mw({ payload: { obj: { type: 'track', anonymousId: 'someone-else-9' } }, next })
    mw({ payload: { obj: { type: 'track', anonymousId: T } }, next })
    await tick()
    expect(next).not.toHaveBeenCalled() // held until the landing is decided
    allow(true)
    await tick()
    expect(next).toHaveBeenCalledTimes(3)
    expect(next.mock.calls.map((c) => c[0].obj.anonymousId)).toEqual([T, 'someone-else-9', T])
  })

  it('as analytics-next runs it: the returned promise settles after next (else the event is cancelled)', async () => {
    const asked: ((v: boolean) => void)[] = []
    const allow = (v: boolean) => asked.forEach((r) => r(v))
    const { mw } = middleware({ consent: () => new Promise<boolean>((r) => void asked.push(r)) })
    // analytics-next: `await fn({ payload, next })`, then cancels the event if next was not called.
    let nextCalled = false
    const applied = Promise.resolve(mw({ payload: { obj: { type: 'page', anonymousId: PREV } }, next: () => void (nextCalled = true) })).then(() => nextCalled)
    let settled = false
    void applied.then(() => (settled = true))
    setTimeout(() => allow(true), 5)
    await runFakeTime(4)
    expect(settled).toBe(false) // held while the decision is pending
    await runFakeTime(1)
    expect(settled).toBe(true) // settled by the decision, not the 3 s cap
    expect(await applied).toBe(true)
  })

  it('passes events on unchanged when the identity is kept', async () => {
    const o = await run(middleware({ linkPolicy: 'never-adopt' }).mw, { type: 'page', anonymousId: PREV })
    expect(o.anonymousId).toBe(PREV)
  })

  it('uses the custom parameter name', async () => {
    const o = await run(middleware({ linkParam: 'ref' }, `/?ref=${T}`).mw, { context: { page: { search: `?mst=keep&ref=${T}` } } })
    expect(o.context.page.search).toBe('?mst=keep')
  })

  it('ignores non-string fields and events without page data', async () => {
    const o = await run(middleware().mw, { type: 'identify', traits: { email: 'a@b.co' }, context: { page: { url: 42 } }, properties: null })
    expect(o).toEqual({ type: 'identify', traits: { email: 'a@b.co' }, context: { page: { url: 42 } }, properties: null })
  })
})

// --- a landing, end to end on createMailstitch ---------------------------------------------------

describe('landing with createMailstitch', () => {
  it("fresh browser: adopts the token before the page's events, reports 'adopted' with previous_anonymous_id", async () => {
    vi.useFakeTimers() // analytics.js is up first: the report waits for a Segment request to be listed
    go(`/?utm_source=klaviyo&mst=${T}#top`)
    const fa = fakeAnalytics()
    const s = start({ analytics: fa.analytics })
    expect(location.search + location.hash).toBe('?utm_source=klaviyo#top') // scrubbed synchronously
    await ready(s)
    await runFakeTime(EARLY_REQUEST_WAIT_MS)
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }])
    expect(fa.calls.map((c) => c.m)).toEqual(['setAnonymousId', 'track'])
    expect(stateCookie()).toEqual({ a: T, b: T })
    expect(s.linkParams()).toEqual({ mst: T })
  })

  it('a page event sent right after start is scrubbed and delivered under the adopted id', async () => {
    vi.useFakeTimers()
    go(`/p?mst=${T}&a=1`)
    const fa = fakeAnalytics()
    start({ analytics: fa.analytics })
    // analytics.js built this page event from the URL before we scrubbed it.
    const next = vi.fn()
    fa.mws[0]!({ payload: { obj: { type: 'page', anonymousId: PREV, context: { page: { url: `http://localhost:3000/p?mst=${T}&a=1`, search: `?mst=${T}&a=1` } } } }, next })
    await tick()
    expect(next).toHaveBeenCalledTimes(1)
    const obj = next.mock.calls[0]![0].obj
    expect(obj.anonymousId).toBe(T)
    expect(obj.context.page).toEqual({ url: 'http://localhost:3000/p?a=1', search: '?a=1' })
  })

  it('a capture after adoption writes the token as the bridge id to Klaviyo', async () => {
    go(`/?mst=${T}`)
    const fa = fakeAnalytics()
    const s = start({ analytics: fa.analytics, klaviyo: { companyId: 'AbC123' } })
    await s.ready()
    expect(await s.capture('ada@example.com')).toEqual({ ok: true, email: 'ada@example.com', anonymousId: T })
    const body = JSON.parse((vi.mocked(fetch).mock.calls[0]![1] as RequestInit).body as string)
    expect(body.data.attributes).toMatchObject({ anonymous_id: T, properties: { segment_anonymous_id: T } })
  })

  it("token equal to the current anonymousId → 'same', identity untouched", async () => {
    const { fa } = await landOn(`/?mst=${T}`, {}, { anonymousId: T })
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([{ outcome: 'same' }])
    expect(document.cookie).toBe('')
  })

  it("a userId → 'kept'", async () => {
    const { fa } = await landOn(`/?mst=${T}`, {}, { userId: 'user-42' })
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
  })

  it("an email captured in this browser (state cookie) → 'kept'", async () => {
    setState({ c: 1, b: PREV })
    const { fa } = await landOn(`/?mst=${T}`)
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
    expect(stateCookie()).toEqual({ c: 1, b: PREV })
  })

  it("an email captured on this page first, then a link → 'kept'", async () => {
    const fa = fakeAnalytics()
    const s1 = start({ analytics: fa.analytics })
    await s1.capture('ada@example.com')
    s1.destroy()
    go(`/?mst=${T}`)
    await start({ analytics: fa.analytics }).ready()
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
  })

  it("an earlier adoption of another token → 'kept'", async () => {
    setState({ a: 'first-token-0001', b: 'first-token-0001' })
    const { fa } = await landOn(`/?mst=${T}`, {}, { anonymousId: 'first-token-0001' })
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
  })

  it("never-adopt → 'kept' on a fresh browser", async () => {
    const { fa } = await landOn(`/?mst=${T}`, { linkPolicy: 'never-adopt' })
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
    expect(document.cookie).toBe('')
  })

  it("the same link opened twice → the second is 'same'", async () => {
    vi.useFakeTimers() // analytics.js is up first: the report waits for a Segment request to be listed
    const fa = fakeAnalytics()
    go(`/?mst=${T}`)
    const s1 = start({ analytics: fa.analytics })
    await ready(s1)
    await runFakeTime(EARLY_REQUEST_WAIT_MS)
    s1.destroy()
    go(`/?mst=${T}`)
    await ready(start({ analytics: fa.analytics }))
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }, { outcome: 'same' }])
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })

  it.each([
    ['<script>', '%3Cscript%3E'],
    ['a Cyrillic look-alike', `0b7c0%D0%B0-8c1e-4c43`],
    ['two different values', `${T}&mst=other-token-123`],
    ['an empty value', ''],
  ])('a malformed token (%s) is ignored: no landing event, no adoption, still scrubbed', async (_, raw) => {
    go(`/?a=1&mst=${raw}`)
    const fa = fakeAnalytics()
    await start({ analytics: fa.analytics }).ready()
    expect(location.search).toBe('?a=1')
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([])
    expect(document.cookie).toBe('')
  })

  it('a token only in the hash: nothing happens, hash untouched', async () => {
    go(`/#/account?mst=${T}`)
    const fa = fakeAnalytics()
    await start({ analytics: fa.analytics }).ready()
    expect(location.hash).toBe(`#/account?mst=${T}`)
    expect(fa.calls).toEqual([])
  })

  it('linkParam: a custom name is read and scrubbed, mst is left alone', async () => {
    go(`/?mst=not-ours-1234&ref=${T}`)
    const fa = fakeAnalytics()
    const s = start({ analytics: fa.analytics, linkParam: 'ref' })
    await s.ready()
    expect(location.search).toBe('?mst=not-ours-1234')
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    expect(s.linkParams()).toEqual({ ref: T })
  })

  it('consent denied: no adoption, no event, no cookie, no storage, but the address bar is still scrubbed', async () => {
    vi.useFakeTimers()
    go(`/?mst=${T}&a=1`)
    const fa = fakeAnalytics()
    const set = vi.spyOn(Storage.prototype, 'setItem')
    await ready(start({ analytics: fa.analytics, consent: () => false }))
    expect(location.search).toBe('?a=1')
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.landed()).toEqual([])
    expect(document.cookie).toBe('')
    expect(set).not.toHaveBeenCalled()
    // events are still scrubbed of the token, and not re-keyed
    const next = vi.fn()
    fa.mws[0]!({ payload: { obj: { anonymousId: PREV, properties: { url: `http://localhost:3000/?mst=${T}&a=1` } } }, next })
    await tick()
    expect(next).toHaveBeenCalledTimes(1)
    expect(next.mock.calls[0]![0].obj).toEqual({ anonymousId: PREV, properties: { url: 'http://localhost:3000/?a=1' } })
  })

  it('consent async true: adopts', async () => {
    vi.useFakeTimers() // the answer comes 5 ms later
    const { fa } = await landOn(`/?mst=${T}`, { consent: () => new Promise((r) => setTimeout(r, 5, true)) })
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }])
  })

  it('a consent answer that never comes does not hold events more than 10 s', async () => {
    const { fa, next } = holdPageEventUnanswered()
    await vi.advanceTimersByTimeAsync(9900)
    expect(next).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(200)
    expect(next).toHaveBeenCalledTimes(1)
    expect(next.mock.calls[0]![0].obj.anonymousId).toBe(PREV)
  })

  it('a shopper who leaves while consent is still pending: the held events go on unchanged at beforeunload (no adoption)', async () => {
    const { fa, next } = holdPageEventUnanswered()
    await vi.advanceTimersByTimeAsync(1000)
    expect(next).not.toHaveBeenCalled() // held, as above
    window.dispatchEvent(new Event('beforeunload'))
    await vi.advanceTimersByTimeAsync(0)
    expect(next).toHaveBeenCalledTimes(1)
    expect(next.mock.calls[0]![0].obj.anonymousId).toBe(PREV)
    expect(fa.of('setAnonymousId')).toEqual([])
  })

  it("the hold's beforeunload listener goes once the decision is made (Firefox keeps no page with one in its bfcache)", async () => {
    const added = vi.spyOn(window, 'addEventListener')
    const removed = vi.spyOn(window, 'removeEventListener')
    try {
      const { fa } = await landOn(`/?mst=${T}`, { consent: () => new Promise((r) => setTimeout(r, 5, true)) })
      expect(fa.of('setAnonymousId')).toEqual([[T]])
      const listener = added.mock.calls.find((call) => call[0] === 'beforeunload')?.[1]
      expect(listener).toBeTypeOf('function')
      expect(removed.mock.calls).toContainEqual(['beforeunload', listener])
    } finally {
      added.mockRestore()
      removed.mockRestore()
    }
  })

  it("takes the inline snippet's held landing: marks it taken (the snippet's own 10 s timer then leaves the release to the core) and releases it with the decision", async () => {
    vi.useFakeTimers()
    go('/p') // the snippet scrubbed the address bar already
    const released: unknown[] = []
    const landing: { token: string; taken?: boolean; release(a: unknown): void } = { token: T, release: (a) => void released.push(a) }
    ;(window as unknown as { mailstitch?: object }).mailstitch = { landing }
    const fa = fakeAnalytics()
    start({ analytics: fa.analytics, consent: () => new Promise<boolean>((r) => setTimeout(r, 6000, true)) })
    expect(landing.taken).toBe(true)
    await vi.advanceTimersByTimeAsync(5900)
    expect(released).toEqual([]) // still waiting for consent (answered at 6 s)
    await vi.advanceTimersByTimeAsync(200)
    expect(released).toEqual([{ from: PREV, to: T }])
    delete (window as unknown as { mailstitch?: object }).mailstitch
  })

  it("consent answered late (Shopify's API still loading on a slow phone): events wait, then go re-keyed to the adopted id", async () => {
    vi.useFakeTimers()
    go(`/?mst=${T}`)
    const fa = fakeAnalytics()
    start({ analytics: fa.analytics, consent: () => new Promise<boolean>((r) => setTimeout(r, 4000, true)) })
    const next = vi.fn()
    fa.mws[0]!({ payload: { obj: { type: 'page', anonymousId: PREV } }, next })
    await vi.advanceTimersByTimeAsync(3500) // past the 3 s a landing once had in all: still waiting for consent
    expect(next).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1000)
    expect(next).toHaveBeenCalledTimes(1)
    expect(next.mock.calls[0]![0].obj.anonymousId).toBe(T)
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })

  it('script before the Segment snippet: queues the plugin, setAnonymousId and the event into window.analytics', async () => {
    vi.useFakeTimers() // no analytics.js loads: the start-up work waits its 3 s for one
    go(`/?mst=${T}`)
    await pastLoadWait(start({}))
    const q = (window as unknown as { analytics: unknown[][] }).analytics
    expect(Array.isArray(q)).toBe(true)
    expect(q.map((e) => e[0])).toEqual(['register', 'register', 'setAnonymousId', 'track'])
    expect(q[0]![1]).toMatchObject({ name: 'mailstitch', type: 'before', version: expect.any(String) })
    expect(q[1]![1]).toMatchObject({ name: 'mailstitch-start', type: 'utility', version: expect.any(String) })
    expect(q[2]).toEqual(['setAnonymousId', T])
    expect(q[3]).toEqual(['track', 'Email Link Landed', { outcome: 'adopted' }])
  })

  it('destroy() deregisters the plugin (a queued deregister when analytics.js has not loaded yet)', async () => {
    go(`/?mst=${T}`)
    const fa = fakeAnalytics()
    const s = start({ analytics: fa.analytics })
    await s.ready()
    expect(fa.of('register')).toEqual([['mailstitch'], ['mailstitch-start']])
    s.destroy()
    expect(fa.of('deregister')).toEqual([['mailstitch'], ['mailstitch-start']])
    go(`/?mst=${T}`)
    const queued = start({})
    queued.destroy()
    const q = (window as unknown as { analytics: unknown[][] }).analytics
    expect(q.slice(-2)).toEqual([['deregister', 'mailstitch'], ['deregister', 'mailstitch-start']])
  })

  it('the plugin has the analytics-next shape and never holds an event back on error', async () => {
    go(`/?mst=${T}`)
    const registered: SegmentPlugin[] = []
    const analytics = { ...fakeAnalytics().analytics, register: (p: SegmentPlugin) => void registered.push(p) }
    start({ analytics: analytics as AnalyticsLike })
    const plugin = registered[0]!
    expect(plugin.isLoaded()).toBe(true)
    await expect(plugin.load()).resolves.toBeUndefined()
    await expect(plugin.unload()).resolves.toBeUndefined()
    const broken = { get event(): never { throw new Error('x') } } as unknown as PluginContext
    await expect(plugin.track(broken)).resolves.toBe(broken)
  })

  it('script before the snippet on a returning visitor: reads analytics.js storage (userId → kept)', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify(PREV))
    localStorage.setItem('ajs_user_id', JSON.stringify('user-42'))
    vi.useFakeTimers()
    go(`/?mst=${T}`)
    await pastLoadWait(start({}))
    const q = (window as unknown as { analytics: unknown[][] }).analytics
    expect(q.filter((e) => e[0] !== 'register')).toEqual([['track', 'Email Link Landed', { outcome: 'kept' }]])
  })

  it('script before the snippet: an id in the ajs cookie counts', async () => {
    document.cookie = `ajs_anonymous_id=${T}; path=/`
    vi.useFakeTimers()
    go(`/?mst=${T}`)
    await pastLoadWait(start({}))
    const q = (window as unknown as { analytics: unknown[][] }).analytics
    expect(q.filter((e) => e[0] === 'track')).toEqual([['track', 'Email Link Landed', { outcome: 'same' }]])
  })

  it('a token left in document.referrer (an earlier page) is scrubbed from events too', async () => {
    Object.defineProperty(document, 'referrer', { value: `http://localhost:3000/?mst=${T}&a=1`, configurable: true })
    try {
      vi.useFakeTimers()
      go('/next')
      const fa = fakeAnalytics()
      await ready(start({ analytics: fa.analytics }))
      expect(fa.landed()).toEqual([])
      const next = vi.fn()
      fa.mws[0]!({ payload: { obj: { anonymousId: PREV, context: { page: { referrer: document.referrer } } } }, next })
      await tick()
      expect(next).toHaveBeenCalledTimes(1)
      expect(next.mock.calls[0]![0].obj.context.page.referrer).toBe('http://localhost:3000/?a=1')
    } finally {
      delete (document as { referrer?: string }).referrer
    }
  })

  it('no landing parameter: no middleware, no calls', async () => {
    go('/?utm_source=x')
    const fa = fakeAnalytics()
    await start({ analytics: fa.analytics }).ready()
    expect(fa.calls).toEqual([])
    expect(location.search).toBe('?utm_source=x')
  })
})

// --- the runner as the script tag may find it ------------------------------------------------

describe('land, with the decision in the runner', () => {
  async function landingWith(loadRunner: () => Promise<Runner>) {
    const { land } = await import('./landing')
    const { createContext: createCoreContext } = await import('./context')
    const createContext = (options: MailstitchOptions) => createCoreContext(options, loadRunner)
    return { land, createContext }
  }

  it('a runner that cannot load leaves identity alone: events go on, unchanged, without waiting 3 s', async () => {
    const { land, createContext } = await landingWith(() => Promise.reject(new Error('blocked')))
    const fake = fakeAnalytics()
    const context = createContext({ analytics: fake.analytics })
    land(context, T)
    await expect(context.adoption).resolves.toBeNull()
    expect(fake.calls).toEqual([])
  })

  it('without consent the runner is not even loaded; the token waits for consent', async () => {
    const loadRunner = vi.fn((): Promise<Runner> => Promise.reject(new Error('must not load')))
    const { land, createContext } = await landingWith(loadRunner)
    const context = createContext({ analytics: fakeAnalytics().analytics, consent: () => false })
    land(context, T)
    await expect(context.adoption).resolves.toBeNull()
    expect(context.pendingToken).toBe(T)
    expect(loadRunner).not.toHaveBeenCalled()
  })
})
