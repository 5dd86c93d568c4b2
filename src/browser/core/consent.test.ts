// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMailstitch } from '../index'
import { SEND_DELAY_MS } from './capture'
import type { MailstitchOptions, PluginContext } from '../types'
import { endTest, fakeAnalytics as sharedFakeAnalytics, fakeFetch, ready, resetPage, runFakeTime, settled, startWith, tick, type Req } from '../../../test/helpers/browser-fakes'
import { EARLY_REQUEST_WAIT_MS } from './delivery'
import { OUTBOX_KEY, newJobId, saveJob } from './outbox'
import { writeState } from '../runner/state-cookie'

const T = '0b7c0a52-8c1e-4c43-9d2f-1b1f7e0c9a11'
const PREV = 'anon-prev-2222'

type Privacy = { analytics: boolean; marketing: boolean }
/** A stand-in for Shopify's globals: `loadFeatures` installs `customerPrivacy` (after `delay` ms). */
function shopify(p: Privacy, o: { loaded?: boolean; delay?: number; answer?: boolean } = {}) {
  const api = { analyticsProcessingAllowed: vi.fn(() => p.analytics), marketingAllowed: vi.fn(() => p.marketing) }
  const S: { customerPrivacy?: typeof api; loadFeatures: ReturnType<typeof vi.fn> } = {
    customerPrivacy: o.loaded ? api : undefined,
    loadFeatures: vi.fn((features: { name: string; version: string }[], cb: (err?: unknown) => void) => {
      if (o.answer === false) return // never calls back
      const done = () => { S.customerPrivacy = api; cb() }
      o.delay ? setTimeout(done, o.delay) : done()
    }),
  }
  ;(window as unknown as { Shopify?: unknown }).Shopify = S
  return { S, api }
}
/** What Shopify does when the visitor answers the banner. */
const collected = () => document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: {} }))

const fakeAnalytics = () => sharedFakeAnalytics({ anonymousId: PREV })

/** A job an earlier page left in the outbox, and the state cookie it wrote. */
function leftByEarlierPage() {
  saveJob({ id: newJobId(), capturedAt: Date.now(), runs: 1, email: 'ada@example.com', source: 'form', subscribe: false, bridgeId: PREV, sent: ['identify', 'track'] })
  writeState({ captured: true, bridgeId: PREV })
}
let reqs: Req[] = []
const urls = () => reqs.map((r) => r.url)
const start = (o: MailstitchOptions) => startWith({ klaviyo: { companyId: 'AbC123' } }, o)

beforeEach(() => {
  resetPage()
  reqs = fakeFetch()
})
afterEach(() => {
  delete (window as unknown as { Shopify?: unknown }).Shopify
  endTest()
})

// --- function gates --------------------------------------------------------------------------

describe('consent: a function', () => {
  const ask = (consent: Parameters<typeof createMailstitch>[0] extends infer O ? (O extends { consent?: infer C } ? C : never) : never) =>
    start({ analytics: fakeAnalytics().analytics, consent }).capture('ada@example.com')

  it('absent → allowed', async () => {
    expect(await start({ analytics: fakeAnalytics().analytics }).capture('ada@example.com')).toMatchObject({ ok: true })
  })
  it('sync answers', async () => {
    expect(await ask(() => true)).toMatchObject({ ok: true })
    expect(await ask(() => false)).toEqual({ ok: false, reason: 'no_consent' })
  })
  it('async answers', async () => {
    expect(await ask(() => Promise.resolve(true))).toMatchObject({ ok: true })
    expect(await ask(() => Promise.resolve(false))).toEqual({ ok: false, reason: 'no_consent' })
  })
  it('throwing, rejecting and non-boolean answers are denials', async () => {
    expect(await ask(() => { throw new Error('x') })).toEqual({ ok: false, reason: 'no_consent' })
    expect(await ask(() => Promise.reject(new Error('x')))).toEqual({ ok: false, reason: 'no_consent' })
    expect(await ask(() => 1 as unknown as boolean)).toEqual({ ok: false, reason: 'no_consent' })
    expect(await ask(() => Promise.resolve('true' as unknown as boolean))).toEqual({ ok: false, reason: 'no_consent' })
    expect(reqs).toEqual([])
  })
  it('a rejecting answer is not an unhandled rejection', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      await ask(() => Promise.reject(new Error('x')))
      await tick()
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })
  it('asks the function each time (the answer may change)', async () => {
    let v = false
    const s = start({ analytics: fakeAnalytics().analytics, consent: () => v })
    expect(await settled(s.capture('ada@example.com'))).toEqual({ ok: false, reason: 'no_consent' })
    v = true
    expect(await settled(s.capture('ada@example.com'))).toMatchObject({ ok: true })
  })
  it('adds no consent listener', () => {
    const add = vi.spyOn(document, 'addEventListener')
    start({ analytics: fakeAnalytics().analytics, consent: () => true })
    expect(add.mock.calls.map((c) => c[0])).not.toContain('visitorConsentCollected')
  })
})

// --- Shopify gate --------------------------------------------------------------------------

describe("consent: 'shopify' (Customer Privacy API)", () => {
  const capture = () => start({ analytics: fakeAnalytics().analytics, consent: 'shopify' }).capture('ada@example.com')

  it.each([
    [{ analytics: true, marketing: true }, true],
    [{ analytics: true, marketing: false }, false],
    [{ analytics: false, marketing: true }, false],
    [{ analytics: false, marketing: false }, false],
  ])('customerPrivacy loaded %j → allowed: %s, without loading anything', async (p, expected) => {
    const { S, api } = shopify(p, { loaded: true })
    expect((await capture()).ok).toBe(expected)
    expect(api.analyticsProcessingAllowed).toHaveBeenCalled()
    expect(S.loadFeatures).not.toHaveBeenCalled()
  })

  it('a customerPrivacy without marketingAllowed is a denial', async () => {
    ;(window as unknown as { Shopify: unknown }).Shopify = { customerPrivacy: { analyticsProcessingAllowed: () => true } }
    expect(await capture()).toEqual({ ok: false, reason: 'no_consent' })
  })

  it('a customerPrivacy that throws is not loaded yet (then: loadFeatures)', async () => {
    const { S } = shopify({ analytics: true, marketing: true })
    let first = true
    Object.defineProperty(S, 'customerPrivacy', {
      configurable: true,
      get: () => (first ? ((first = false), { analyticsProcessingAllowed: () => { throw new Error('x') } }) : undefined),
    })
    expect(await capture()).toEqual({ ok: false, reason: 'no_consent' }) // still not loaded after loadFeatures's callback
    expect(S.loadFeatures).toHaveBeenCalled()
  })

  it('not loaded yet: loads consent-tracking-api and answers once it is', async () => {
    vi.useFakeTimers()
    const { S } = shopify({ analytics: true, marketing: true }, { delay: 200 })
    let answer: unknown
    void capture().then((v) => (answer = v))
    await vi.advanceTimersByTimeAsync(0)
    expect(S.loadFeatures).toHaveBeenCalledWith([{ name: 'consent-tracking-api', version: '0.1' }], expect.any(Function))
    await vi.advanceTimersByTimeAsync(198)
    expect(answer).toBeUndefined()
    await vi.advanceTimersByTimeAsync(2)
    await vi.advanceTimersByTimeAsync(SEND_DELAY_MS + 1) // the capture's sends start SEND_DELAY_MS after consent answered
    expect(answer).toMatchObject({ ok: true })
  })

  it('API never answers → denied after the time-out', async () => {
    vi.useFakeTimers()
    shopify({ analytics: true, marketing: true }, { answer: false })
    let answer: unknown
    void capture().then((v) => (answer = v))
    await vi.advanceTimersByTimeAsync(4_900)
    expect(answer).toBeUndefined()
    await vi.advanceTimersByTimeAsync(200)
    expect(answer).toEqual({ ok: false, reason: 'no_consent' })
  })

  it('window.Shopify missing → denied (never throws)', async () => {
    expect(await capture()).toEqual({ ok: false, reason: 'no_consent' })
    expect(reqs).toEqual([])
  })

  it('loadFeatures throwing → denied at once', async () => {
    ;(window as unknown as { Shopify: unknown }).Shopify = { loadFeatures: () => { throw new Error('x') } }
    expect(await capture()).toEqual({ ok: false, reason: 'no_consent' })
  })

  it('follows visitorConsentCollected until destroyed', async () => {
    const p = { analytics: false, marketing: false }
    shopify(p, { loaded: true })
    leftByEarlierPage()
    const s = start({ analytics: fakeAnalytics().analytics, consent: 'shopify' })
    s.destroy()
    collected()
    expect(localStorage.getItem(OUTBOX_KEY)).not.toBeNull() // destroyed: the event is no longer heard
    const s2 = start({ analytics: fakeAnalytics().analytics, consent: 'shopify' })
    collected()
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
    s2.destroy()
  })
})

// --- Shopify consent on createMailstitch ----------------------------------------------------------

describe("consent: 'shopify' on createMailstitch", () => {
  it('allowed → capture goes through', async () => {
    shopify({ analytics: true, marketing: true }, { loaded: true })
    const fa = fakeAnalytics()
    expect(await start({ analytics: fa.analytics, consent: 'shopify' }).capture('ada@example.com')).toMatchObject({ ok: true })
    expect(urls()).toEqual(['https://a.klaviyo.com/client/profiles?company_id=AbC123'])
  })

  it('marketing declined → no_consent, nothing stored', async () => {
    shopify({ analytics: true, marketing: false }, { loaded: true })
    const fa = fakeAnalytics()
    expect(await start({ analytics: fa.analytics, consent: 'shopify' }).capture('ada@example.com')).toEqual({ ok: false, reason: 'no_consent' })
    expect(reqs).toEqual([])
    expect(localStorage.length).toBe(0)
    expect(document.cookie).toBe('')
  })

  it('API missing → a capture resolves no_consent after the time-out', async () => {
    vi.useFakeTimers()
    shopify({ analytics: true, marketing: true }, { answer: false })
    const fa = fakeAnalytics()
    const p = start({ analytics: fa.analytics, consent: 'shopify' }).capture('ada@example.com')
    await vi.advanceTimersByTimeAsync(5_001)
    expect(await p).toEqual({ ok: false, reason: 'no_consent' })
    expect(fa.calls).toEqual([])
  })

  it('visitorConsentCollected resumes a pending landing', async () => {
    vi.useFakeTimers()
    const p = { analytics: false, marketing: false }
    shopify(p)
    history.replaceState(null, '', `/?mst=${T}`)
    const fa = fakeAnalytics()
    const s = start({ analytics: fa.analytics, consent: 'shopify' })
    await ready(s)
    expect(location.search).toBe('') // scrubbed regardless
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(fa.of('track')).toEqual([])
    expect(document.cookie).toBe('')

    p.analytics = p.marketing = true
    collected()
    await runFakeTime(EARLY_REQUEST_WAIT_MS) // analytics.js was up first: the report waits for a listed request (none)
    expect(fa.of('track')).toHaveLength(1)
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    expect(fa.of('track')).toEqual([['Email Link Landed', { outcome: 'adopted', previous_anonymous_id: PREV }]])
    expect(s.linkParams()).toEqual({ mst: T })

    collected() // a second banner answer does not land twice
    await tick()
    expect(fa.of('track')).toHaveLength(1)
  })

  it('two visitorConsentCollected events in a row land once', async () => {
    const p = { analytics: false, marketing: false }
    vi.useFakeTimers()
    shopify(p, { loaded: true })
    history.replaceState(null, '', `/?mst=${T}`)
    const fa = fakeAnalytics()
    await ready(start({ analytics: fa.analytics, consent: 'shopify' }))
    p.analytics = p.marketing = true
    collected()
    collected()
    await runFakeTime(EARLY_REQUEST_WAIT_MS) // analytics.js was up first: the report waits for a listed request (none)
    expect(fa.of('track')).toEqual([['Email Link Landed', { outcome: 'adopted', previous_anonymous_id: PREV }]])
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })

  it('visitorConsentCollected with consent still declined: the landing stays pending', async () => {
    shopify({ analytics: true, marketing: false })
    history.replaceState(null, '', `/?mst=${T}`)
    const fa = fakeAnalytics()
    await start({ analytics: fa.analytics, consent: 'shopify' }).ready()
    collected()
    await tick()
    expect(fa.registrations.map((r) => r.args[0])).toEqual(['mailstitch', 'mailstitch-start']) // positive signal: started
    expect(fa.calls).toEqual([]) // no adoption, no event
  })

  it('consent given later flushes nothing twice and allows captures', async () => {
    const p = { analytics: false, marketing: false }
    shopify(p, { loaded: true })
    const fa = fakeAnalytics()
    const s = start({ analytics: fa.analytics, consent: 'shopify' })
    expect(await settled(s.capture('ada@example.com'))).toEqual({ ok: false, reason: 'no_consent' })
    p.analytics = p.marketing = true
    collected()
    await tick()
    expect(fa.calls).toEqual([]) // the refused capture was not kept
    expect(await settled(s.capture('ada@example.com'))).toMatchObject({ ok: true })
  })

  it('consent withdrawn → outbox and state cookie are cleared', async () => {
    const p = { analytics: true, marketing: false }
    shopify(p, { loaded: true })
    leftByEarlierPage()
    const s = start({ analytics: fakeAnalytics().analytics, consent: 'shopify' })
    expect(localStorage.getItem(OUTBOX_KEY)).not.toBeNull()
    expect(document.cookie).toContain('mst_state=')
    collected()
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
    expect(s.linkParams()).toEqual({}) // at once, while the runner (which writes cookies) removes the cookie
    await vi.waitFor(() => expect(document.cookie).not.toContain('mst_state='))
  })

  it('consent withdrawn → a pending Klaviyo retry is not sent nor stored again', async () => {
    vi.useFakeTimers()
    const p = { analytics: true, marketing: true }
    shopify(p, { loaded: true })
    const fa = fakeAnalytics()
    reqs = fakeFetch({ status: 503 })
    const s = start({ analytics: fa.analytics, consent: 'shopify' })
    await settled(s.capture('ada@example.com'))
    expect(reqs).toHaveLength(1)
    p.marketing = false
    collected()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(reqs).toHaveLength(1)
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
  })

  it('consent withdrawn while a Klaviyo request is in flight → its failure is not stored nor retried', async () => {
    vi.useFakeTimers()
    const p = { analytics: true, marketing: true }
    shopify(p, { loaded: true })
    const fa = fakeAnalytics()
    let answer!: (r: unknown) => void
    vi.stubGlobal('fetch', vi.fn(() => new Promise((r) => (answer = r))))
    const s = start({ analytics: fa.analytics, consent: 'shopify' })
    await settled(s.capture('ada@example.com'))
    p.marketing = false
    collected()
    answer({ status: 500, headers: { get: () => null } })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
  })
})
