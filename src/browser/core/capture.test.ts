// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { NAVIGATION_GRACE_MS, SEND_DELAY_MS, afterSubmit, beginCapture, checkEmail } from './capture'
import { store } from './delivery'
import { createContext } from './context'
import { OUTBOX_KEY, readJobs } from './outbox'
import type { AnalyticsLike } from '../types'

const analytics = { identify() {}, track() {} } as AnalyticsLike
const request = { source: 'form', subscribe: false }

beforeEach(() => localStorage.clear())
afterEach(() => vi.useRealTimers())

describe('checkEmail', () => {
  it('normalizes, refuses invalid ones, and remembers a valid one as recent (5 s duplicate window)', () => {
    vi.useFakeTimers()
    const context = createContext({ analytics })
    expect(checkEmail(context, '  Ada@Example.com ')).toEqual({ email: 'ada@example.com' })
    expect(checkEmail(context, 'ada@example.com')).toBe('duplicate')
    expect(checkEmail(context, 'nope')).toBe('invalid_email')
    vi.advanceTimersByTime(5001)
    expect(checkEmail(context, 'ada@example.com')).toEqual({ email: 'ada@example.com' })
  })

  it('no analytics at all, or destroyed: no_analytics', () => {
    expect(checkEmail(createContext({}), 'ada@example.com')).toBe('no_analytics')
    const context = createContext({ analytics })
    context.destroyed = true
    expect(checkEmail(context, 'ada@example.com')).toBe('no_analytics')
  })
})

describe('beginCapture', () => {
  it('synchronous consent: the job is stored before it returns', () => {
    const job = beginCapture(createContext({ analytics }), 'ada@example.com', { ...request, subscribe: true })
    expect(job).toMatchObject({ email: 'ada@example.com', subscribe: true, runs: 0, sent: [] })
    expect(readJobs()).toHaveLength(1)
  })

  it('denied: no_consent, nothing stored, and the email is not counted as recent', () => {
    const context = createContext({ analytics, consent: () => false })
    expect(beginCapture(context, 'ada@example.com', request)).toBe('no_consent')
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
    expect(context.recentCaptures.size).toBe(0)
  })

  it('asynchronous consent: stored once it answers', async () => {
    const begun = beginCapture(createContext({ analytics, consent: () => Promise.resolve(true) }), 'ada@example.com', request)
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
    expect(await begun).toMatchObject({ email: 'ada@example.com' })
    expect(readJobs()).toHaveLength(1)
  })

  it('store keeps the request fields', () => {
    expect(store(createContext({ analytics }), 'a@b.co', { source: 'klaviyo-form', formId: 'F', traits: { plan: 'pro' }, subscribe: false })).toMatchObject({ source: 'klaviyo-form', formId: 'F', traits: { plan: 'pro' } })
  })
})

describe('afterSubmit', () => {
  it('a prevented submit (AJAX form): sends SEND_DELAY_MS later, on this page', () => {
    vi.useFakeTimers()
    const event = new Event('submit', { cancelable: true })
    event.preventDefault()
    const work = vi.fn()
    afterSubmit(event)(work)
    vi.advanceTimersByTime(SEND_DELAY_MS - 1)
    expect(work).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(work).toHaveBeenCalledTimes(1)
  })

  it('a submit that navigates: left to the next page, sent here only if the page is still here after the grace period', () => {
    vi.useFakeTimers()
    const work = vi.fn()
    afterSubmit(new Event('submit', { cancelable: true }))(work)
    vi.advanceTimersByTime(SEND_DELAY_MS + NAVIGATION_GRACE_MS - 1)
    expect(work).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(work).toHaveBeenCalledTimes(1)
  })
})
