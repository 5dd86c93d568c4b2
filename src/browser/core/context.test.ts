// @vitest-environment happy-dom
// One instance's context (createContext): its defaults, its consent answer, where its analytics
// object comes from, that it reads no storage, and the helpers beside it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createContext, failure, stillAllowed } from './context'
import { OUTBOX_KEY } from './outbox'
import type { AnalyticsLike, MailstitchOptions } from '../types'
import { endTest, fakeAnalytics, resetPage } from '../../../test/helpers/browser-fakes'

/** analytics.js's persisted retry queue for one destination, as analytics-next writes it on pagehide. */
const ANALYTICS_QUEUE_KEY = 'persisted-queue:v1:wk:dest-Segment.io:items'
const persistAnalyticsQueue = (...messageIds: string[]) =>
  localStorage.setItem(ANALYTICS_QUEUE_KEY, JSON.stringify(messageIds.map((messageId) => ({ event: { type: 'identify', messageId } }))))

beforeEach(resetPage)
afterEach(endTest)

describe('createContext defaults', () => {
  it.each<[string, MailstitchOptions | null | undefined]>([
    ['no options', undefined],
    ['null (an untyped caller)', null],
    ['empty options', {}],
  ])('%s: linkParam mst, nothing remembered, alive', (_, options) => {
    const context = createContext(options)
    expect(context.options).toEqual({})
    expect(context.linkParam).toBe('mst')
    expect(context.recentCaptures.size).toBe(0)
    expect(context.klaviyoFormsCaptured.size).toBe(0)
    expect(context.runningJobs.size).toBe(0)
    expect(context.handedToAnalytics).toBeUndefined()
    expect(context.pendingToken).toBeUndefined()
    expect(context.cleanups).toEqual([])
    expect(context.destroyed).toBeFalsy()
    expect(context.consent()).toBe(true)
  })

  it('a linkParam option replaces mst; an empty one does not', () => {
    expect(createContext({ linkParam: 'ref' }).linkParam).toBe('ref')
    expect(createContext({ linkParam: '' }).linkParam).toBe('mst')
  })

  it('the adoption starts settled (events need not wait for a landing that never began)', async () => {
    await expect(createContext({}).adoption).resolves.toBeUndefined()
  })

  it('a log that is silent without debug and writes to console.info with it', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    createContext({}).log('quiet')
    expect(info).not.toHaveBeenCalled()
    createContext({ debug: true }).log('landing', 'kept')
    expect(info).toHaveBeenCalledWith('[mailstitch]', 'landing', 'kept')
  })
})

describe('consent, asked on each use', () => {
  it.each<[string, MailstitchOptions['consent'], boolean]>([
    ['no option', undefined, true],
    ['a function answering true', () => true, true],
    ['a function answering false', () => false, false],
    ['a function that throws', () => { throw new Error('cmp broken') }, false],
    ['a value that is not a function (fails closed)', 'yes' as unknown as MailstitchOptions['consent'], false],
  ])('%s → %s', (_, consent, answer) => {
    expect(createContext({ consent }).consent()).toBe(answer)
  })

  it('a function answering with a promise → a promise of the answer (a rejection is a denial)', async () => {
    await expect(createContext({ consent: () => Promise.resolve(true) }).consent()).resolves.toBe(true)
    await expect(createContext({ consent: () => Promise.reject(new Error('no')) }).consent()).resolves.toBe(false)
  })

  it("'shopify': Shopify's Customer Privacy API answers (both analytics and marketing)", () => {
    const privacy = { analyticsProcessingAllowed: () => true, marketingAllowed: () => true }
    vi.stubGlobal('Shopify', { customerPrivacy: privacy })
    const context = createContext({ consent: 'shopify' })
    expect(context.consent()).toBe(true)
    privacy.marketingAllowed = () => false
    expect(context.consent()).toBe(false)
  })

  it("'shopify' before the API has loaded: the runner waits for it; no runner is a denial", async () => {
    const waits: string[] = []
    const runner = { waitForShopifyConsent: () => (waits.push('wait'), Promise.resolve(true)) }
    const context = createContext({ consent: 'shopify' }, () => Promise.resolve(runner as never))
    await expect(context.consent()).resolves.toBe(true)
    expect(waits).toEqual(['wait'])
    await expect(createContext({ consent: 'shopify' }).consent()).resolves.toBe(false)
  })

  it('the option is asked again at each call, not once at creation', () => {
    let allowed = false
    const context = createContext({ consent: () => allowed })
    expect(context.consent()).toBe(false)
    allowed = true
    expect(context.consent()).toBe(true)
  })
})

describe('analytics, read on each use', () => {
  it('the analytics option when given (window.analytics is ignored)', () => {
    const given = fakeAnalytics().analytics
    vi.stubGlobal('analytics', fakeAnalytics().analytics)
    expect(createContext({ analytics: given }).analytics()).toBe(given)
  })

  it('else window.analytics as it is at each read (the snippet replaces its stub when it loads)', () => {
    const context = createContext({})
    expect(context.analytics()).toBeUndefined()
    const stub = [] as unknown as AnalyticsLike
    vi.stubGlobal('analytics', stub)
    expect(context.analytics()).toBe(stub)
    const loaded = fakeAnalytics().analytics
    vi.stubGlobal('analytics', loaded)
    expect(context.analytics()).toBe(loaded)
  })
})

describe('createContext touches no storage', () => {
  it('a previous page\'s jobs and analytics.js\'s persisted queue are left unread at creation (the first storage access is analytics.js\'s)', () => {
    persistAnalyticsQueue('ajs-next-1')
    localStorage.setItem(OUTBOX_KEY, JSON.stringify([{ id: 'job-1' }]))
    const getItem = vi.spyOn(localStorage, 'getItem')
    const key = vi.spyOn(localStorage, 'key')
    const context = createContext({})
    expect(context.linkParam).toBe('mst') // created
    expect(getItem).not.toHaveBeenCalled()
    expect(key).not.toHaveBeenCalled()
  })
})

describe('failure', () => {
  it.each(['invalid_email', 'no_consent', 'duplicate', 'no_analytics'] as const)('%s: logged, returned as a typed result', (reason) => {
    const context = createContext({})
    const logged: unknown[][] = []
    context.log = (...args) => void logged.push(args)
    expect(failure(context, reason)).toEqual({ ok: false, reason })
    expect(logged).toEqual([[reason]])
  })
})

describe('stillAllowed', () => {
  it('true while alive with consent; false once destroyed', () => {
    const context = createContext({})
    expect(stillAllowed(context)).toBe(true)
    context.destroyed = true
    expect(stillAllowed(context)).toBe(false)
  })

  it('false when consent is withdrawn, and asked anew each time', () => {
    let allowed = true
    const context = createContext({ consent: () => allowed })
    expect(stillAllowed(context)).toBe(true)
    allowed = false
    expect(stillAllowed(context)).toBe(false)
  })

  it('true while the answer is still pending (a promise is not a denial)', () => {
    const context = createContext({ consent: () => new Promise<boolean>(() => {}) })
    expect(stillAllowed(context)).toBe(true)
  })
})
