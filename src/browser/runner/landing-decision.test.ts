// @vitest-environment happy-dom
// The landing's decision on its own (landingOutcome, decideLanding), on a context made by
// createContext: adopt an email link's token or not (CONTRACT.md "What a landing does").
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createContext } from '../core/context'
import { EARLY_REQUEST_WAIT_MS } from '../core/delivery'
import { decideLanding, landingOutcome as outcomeFor } from './landing-decision'
import { currentVisitor } from '../core/analytics'
import type { Context } from '../core/context'
import type { MailstitchOptions } from '../types'
import { endTest, fakeAnalytics, resetPage, stateCookie, type FakeAnalyticsInit } from '../../../test/helpers/browser-fakes'

const T = '0b7c0a52-8c1e-4c43-9d2f-1b1f7e0c9a11' // a Segment anonymousId from another browser
const PREV = 'anon-prev-2222'

/** A stored state cookie in the format 0.1.0 writes (short keys: c captured, a adopted, b bridge id). */
const setState = (stored: object) => { document.cookie = 'mst_state=' + encodeURIComponent(JSON.stringify(stored)) + '; path=/' }

/** A context over a fake analytics.js (on PREV unless `init` says otherwise). */
function contextWith(init: FakeAnalyticsInit = {}, options: MailstitchOptions = {}) {
  const fa = fakeAnalytics({ anonymousId: PREV, ...init })
  return { fa, context: createContext({ analytics: fa.analytics, ...options }) }
}

/** The outcome for the visitor as the runner reads it at that moment (decideLanding reads it once). */
const landingOutcome = (context: Context, token: string) => outcomeFor(context, token, currentVisitor(context.analytics))

beforeEach(resetPage)
afterEach(endTest)

describe('landingOutcome', () => {
  it("'same' when the token already is the anonymousId (even under never-adopt, even signed in)", () => {
    expect(landingOutcome(contextWith({ anonymousId: T }).context, T)).toBe('same')
    expect(landingOutcome(contextWith({ anonymousId: T, userId: 'u1' }, { linkPolicy: 'never-adopt' }).context, T)).toBe('same')
  })

  it("'adopted' on a fresh browser, with or without an anonymousId", () => {
    expect(landingOutcome(contextWith().context, T)).toBe('adopted')
    expect(landingOutcome(contextWith({ anonymousId: null }).context, T)).toBe('adopted')
    expect(landingOutcome(contextWith({}, { linkPolicy: 'adopt-if-fresh' }).context, T)).toBe('adopted')
  })

  it.each<[string, FakeAnalyticsInit, MailstitchOptions, object | undefined]>([
    ['the never-adopt policy', {}, { linkPolicy: 'never-adopt' }, undefined],
    ['a userId', { userId: 'user-42' }, {}, undefined],
    ['an email trait', { email: 'ada@example.com' }, {}, undefined],
    ['a captured state cookie', {}, {}, { c: 1, b: PREV }],
    ['an adopted state cookie', {}, {}, { a: 'tok-older-1234', b: 'tok-older-1234' }],
  ])("'kept' with %s", (_, init, options, stored) => {
    if (stored) setState(stored)
    expect(landingOutcome(contextWith(init, options).context, T)).toBe('kept')
  })

  it('reads the state cookie at each decision (a capture since the last one counts)', () => {
    const { context } = contextWith()
    expect(landingOutcome(context, T)).toBe('adopted')
    setState({ c: 1 })
    expect(landingOutcome(context, T)).toBe('kept')
  })
})

describe('decideLanding', () => {
  it("reads analytics.js's ids once per decision (each read re-writes its cookies), and not at all where the snippet adopted", async () => {
    const { fa, context } = contextWith()
    const user = vi.spyOn(fa.analytics as { user(): unknown }, 'user')
    expect(await decideLanding(context, T)).toEqual({ from: PREV, to: T })
    expect(user).toHaveBeenCalledTimes(1)
    user.mockClear()
    resetPage()
    const second = contextWith({ anonymousId: T })
    const userOfSecond = vi.spyOn(second.fa.analytics as { user(): unknown }, 'user')
    expect(await decideLanding(second.context, T, { token: T, from: PREV })).toEqual({ from: PREV, to: T })
    expect(userOfSecond).not.toHaveBeenCalled()
  })

  it('adopts on a fresh browser: setAnonymousId(token), the state cookie, and the landing tracked with the previous id', async () => {
    const { fa, context } = contextWith()
    expect(await decideLanding(context, T)).toEqual({ from: PREV, to: T })
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    expect(stateCookie()).toEqual({ a: T, b: T })
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }])
    // setAnonymousId came before the landing was tracked (so it is tracked under the token).
    expect(fa.calls.map((c) => c.m)).toEqual(['setAnonymousId', 'track'])
  })

  it('adopts without previous_anonymous_id when the browser had no anonymousId', async () => {
    const { fa, context } = contextWith({ anonymousId: null })
    expect(await decideLanding(context, T)).toEqual({ from: null, to: T })
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    expect(stateCookie()).toEqual({ a: T, b: T })
    expect(fa.landed()).toEqual([{ outcome: 'adopted' }])
  })

  it('a state with only a bridge id is still fresh: adopted, the bridge id becomes the token', async () => {
    setState({ b: 'bridge-old-1234' })
    const { context } = contextWith()
    expect(await decideLanding(context, T)).toEqual({ from: PREV, to: T })
    expect(stateCookie()).toEqual({ a: T, b: T })
  })

  it.each<[string, FakeAnalyticsInit, MailstitchOptions]>([
    ['never-adopt', {}, { linkPolicy: 'never-adopt' }],
    ['a userId', { userId: 'user-42' }, {}],
    ['an email trait', { email: 'ada@example.com' }, {}],
  ])("'kept' (%s): tracked as kept, nothing adopted, no cookie written", async (_, init, options) => {
    const { fa, context } = contextWith(init, options)
    expect(await decideLanding(context, T)).toBeNull()
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(stateCookie()).toBeUndefined()
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
  })

  it("'kept' with a captured state: the cookie stays as it was", async () => {
    setState({ c: 1, b: PREV })
    const { fa, context } = contextWith()
    expect(await decideLanding(context, T)).toBeNull()
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(stateCookie()).toEqual({ c: 1, b: PREV })
    expect(fa.landed()).toEqual([{ outcome: 'kept' }])
  })

  it("'same': tracked as same, nothing adopted, no cookie written", async () => {
    const { fa, context } = contextWith({ anonymousId: T })
    expect(await decideLanding(context, T)).toBeNull()
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(stateCookie()).toBeUndefined()
    expect(fa.landed()).toEqual([{ outcome: 'same' }])
  })

  it('a destroyed context: null, no call to analytics.js, no cookie', async () => {
    const { fa, context } = contextWith()
    context.destroyed = true
    expect(await decideLanding(context, T)).toBeNull()
    expect(fa.calls).toEqual([])
    expect(stateCookie()).toBeUndefined()
  })

  it("logs the outcome through the context's log", async () => {
    const logged: unknown[][] = []
    const { context } = contextWith()
    context.log = (...args) => void logged.push(args)
    await decideLanding(context, T)
    expect(logged).toEqual([['landing', 'adopted']])
  })
})

describe('decideLanding after the inline snippet, and placed too late', () => {
  afterEach(() => vi.restoreAllMocks())

  it('the snippet adopted already: no second setAnonymousId; the state cookie and the landing tracked with its previous id', async () => {
    const { fa, context } = contextWith({ anonymousId: T })
    expect(await decideLanding(context, T, { token: T, from: PREV })).toEqual({ from: PREV, to: T })
    expect(fa.of('setAnonymousId')).toEqual([])
    expect(stateCookie()).toEqual({ a: T, b: T })
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }])
  })

  it('the snippet left the decision (a consent option): decided here as always', async () => {
    const { fa, context } = contextWith()
    expect(await decideLanding(context, T, { token: T })).toEqual({ from: PREV, to: T })
    expect(fa.of('setAnonymousId')).toEqual([[T]])
  })

  /** Resource Timing as the page saw it: Segment requests (and one other) at these start times. */
  const resources = (entries: [string, number][]) =>
    vi.spyOn(performance, 'getEntriesByType').mockReturnValue(entries.map(([name, startTime]) => ({ name, startTime }) as PerformanceEntry))

  it("analytics.js sent before the core started: 'adopted_late' with early_events, the Segment requests started before then", async () => {
    resources([['https://api.segment.io/v1/p', 10], ['https://api.segment.io/v1/t', 20], ['https://cdn.segment.com/v1/projects/k/settings', 5], ['https://api.segment.io/v1/t', 90]])
    const { fa, context } = contextWith()
    context.lateSince = 50
    expect(await decideLanding(context, T)).toEqual({ from: PREV, to: T })
    expect(fa.landed()).toEqual([{ outcome: 'adopted_late', previous_anonymous_id: PREV, early_events: 2 }])
  })

  it("nothing sent before the core started: 'adopted', reported once a request could have been listed", async () => {
    vi.useFakeTimers()
    resources([['https://cdn.segment.com/analytics.js/v1/k/analytics.min.js', 5]])
    const { fa, context } = contextWith()
    context.lateSince = 50
    expect(await decideLanding(context, T)).toEqual({ from: PREV, to: T }) // the adoption does not wait
    expect(fa.of('setAnonymousId')).toEqual([[T]])
    await vi.advanceTimersByTimeAsync(EARLY_REQUEST_WAIT_MS - 1)
    expect(fa.landed()).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(fa.landed()).toEqual([{ outcome: 'adopted', previous_anonymous_id: PREV }])
  })

  it("the page's request still in flight when the core started (not listed yet): counted once it ends", async () => {
    vi.useFakeTimers()
    const listed = resources([])
    const { fa, context } = contextWith()
    context.lateSince = 50
    await decideLanding(context, T)
    await vi.advanceTimersByTimeAsync(EARLY_REQUEST_WAIT_MS / 2)
    expect(fa.landed()).toEqual([])
    listed.mockReturnValue([{ name: 'https://api.segment.io/v1/p', startTime: 40 } as PerformanceEntry]) // the request ended
    await vi.advanceTimersByTimeAsync(EARLY_REQUEST_WAIT_MS / 2)
    expect(fa.landed()).toEqual([{ outcome: 'adopted_late', previous_anonymous_id: PREV, early_events: 1 }])
  })
})

