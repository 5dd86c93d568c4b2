// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createContext } from '../core/context'
import { markSent, resolveBridgeId, runJob, sendToKlaviyo, stepsOf } from './job-runner'
import { newJobId, readJobs, saveJob, type Job } from '../core/outbox'
import type { AnalyticsLike } from '../types'
import { fakeFetch } from '../../../test/helpers/browser-fakes'

const loaded = (anonymousId: string | null = 'anon-1', userId: string | null = null) =>
  ({ initialized: true, user: () => ({ anonymousId: () => anonymousId, id: () => userId, traits: () => ({}) }), identify: vi.fn(), track: vi.fn(), ready: (cb: () => void) => cb() }) as unknown as AnalyticsLike & { identify: ReturnType<typeof vi.fn> }
const job = (over: Partial<Job> = {}): Job => ({ id: newJobId(), capturedAt: Date.now(), runs: 0, email: 'ada@example.com', source: 'form', subscribe: false, sent: [], ...over })

beforeEach(() => {
  localStorage.clear()
  document.cookie = 'mst_state=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  fakeFetch()
})
afterEach(() => vi.useRealTimers())

describe('stepsOf', () => {
  it('identify and track; the profile with Klaviyo; the subscription only for an opt-in with a list', () => {
    expect(stepsOf(createContext({}), job())).toEqual(['identify', 'track'])
    const klaviyo = createContext({ klaviyo: { companyId: 'A', listId: 'L' } })
    expect(stepsOf(klaviyo, job())).toEqual(['identify', 'track', 'profile'])
    expect(stepsOf(klaviyo, job({ subscribe: true }))).toEqual(['identify', 'track', 'profile', 'subscription'])
  })
})

describe('resolveBridgeId', () => {
  it('fixes the anonymousId and userId of now, stores them and the state cookie', async () => {
    const j = job()
    saveJob(j)
    expect(await resolveBridgeId(createContext({ analytics: loaded('anon-9', 'user-9') }), j)).toBe(true)
    expect(j).toMatchObject({ bridgeId: 'anon-9', userId: 'user-9' })
    expect(readJobs()[0]).toMatchObject({ bridgeId: 'anon-9' })
    expect(document.cookie).toContain('mst_state=')
  })

  it('keeps a bridge id fixed earlier; false without analytics', async () => {
    expect(await resolveBridgeId(createContext({ analytics: loaded('other') }), job({ bridgeId: 'first' }))).toBe(true)
    expect(await resolveBridgeId(createContext({}), job())).toBe(false)
  })
})

describe('markSent', () => {
  it('records a step in the stored job and removes the job once every step is sent', () => {
    const context = createContext({})
    const j = job()
    saveJob(j)
    markSent(context, j, 'identify')
    expect(readJobs()[0]!.sent).toEqual(['identify'])
    markSent(context, j, 'track')
    expect(readJobs()).toEqual([])
  })

  it('a job cleared meanwhile (consent withdrawn) stays cleared', () => {
    const j = job()
    markSent(createContext({}), j, 'identify')
    expect(readJobs()).toEqual([])
  })
})

describe('sendToKlaviyo', () => {
  it('sends only the requests not sent yet, with the external id per the option', async () => {
    const context = createContext({ klaviyo: { companyId: 'A', listId: 'L' }, externalId: 'anonymousId' })
    const j = job({ bridgeId: 'anon-1', subscribe: true, sent: ['subscription'] })
    saveJob(j)
    await sendToKlaviyo(context, j)
    const calls = (fetch as unknown as ReturnType<typeof vi.fn>).mock.calls
    expect(calls.map((c) => String(c[0]).split('?')[0])).toEqual(['https://a.klaviyo.com/client/profiles'])
    expect(JSON.parse(calls[0]![1].body).data.attributes.external_id).toBe('anon-1')
  })
})

describe('runJob', () => {
  it('counts the run, then sends Segment and Klaviyo; resolves ok with the bridge id', async () => {
    vi.useFakeTimers()
    const analytics = loaded('anon-5')
    const j = job()
    saveJob(j)
    const result = await runJob(createContext({ analytics, klaviyo: { companyId: 'A' } }), j)
    expect(result).toEqual({ ok: true, email: 'ada@example.com', anonymousId: 'anon-5' })
    expect(j.runs).toBe(1)
    await vi.advanceTimersByTimeAsync(0) // the sends start after the result
    expect(analytics.identify).toHaveBeenCalledTimes(1)
  })

  it('without analytics: no_analytics and the job is dropped', async () => {
    const j = job()
    saveJob(j)
    expect(await runJob(createContext({}), j)).toEqual({ ok: false, reason: 'no_analytics' })
    expect(readJobs()).toEqual([])
  })
})

describe('outbox writes (bench row 3: one write per step, the same crash-safety)', () => {
  /** The outbox as a page loaded now would read it. */
  const afterReload = () => readJobs()

  it('a capture run costs one write to start (run counted + bridge id) and one per step sent; each survives a reload', async () => {
    vi.useFakeTimers()
    const { OUTBOX_KEY } = await import('../core/outbox')
    const setItem = vi.spyOn(localStorage, 'setItem')
    const removeItem = vi.spyOn(localStorage, 'removeItem') // the last step empties the list: the key goes
    const outboxWrites = () => [...setItem.mock.calls, ...removeItem.mock.calls].filter((call) => call[0] === OUTBOX_KEY).length
    const context = createContext({ analytics: loaded('anon-7'), klaviyo: { companyId: 'A', listId: 'L' } })
    const j = job({ subscribe: true })
    saveJob(j)
    setItem.mockClear()

    await runJob(context, j)
    expect(outboxWrites()).toBe(1)
    expect(afterReload()[0]).toMatchObject({ id: j.id, runs: 1, bridgeId: 'anon-7', sent: [] })

    const steps = ['identify', 'profile', 'track'] as const
    for (const [index, step] of steps.entries()) {
      markSent(context, j, step)
      expect(outboxWrites()).toBe(2 + index)
      expect(afterReload()[0]!.sent).toEqual(steps.slice(0, index + 1))
    }
    markSent(context, j, 'subscription')
    expect(outboxWrites()).toBe(5)
    expect(afterReload()).toEqual([]) // every step sent: gone, never sent twice
    setItem.mockRestore()
    removeItem.mockRestore()
  })

  it('a run that must wait for analytics.js stores its run count before the wait (a page that goes meanwhile)', async () => {
    vi.useFakeTimers()
    const analytics = { ...loaded(null), initialized: false, ready: () => {} } as unknown as AnalyticsLike
    const j = job()
    saveJob(j)
    const running = runJob(createContext({ analytics }), j)
    await vi.advanceTimersByTimeAsync(0)
    expect(afterReload()[0]).toMatchObject({ id: j.id, runs: 1 }) // counted, though no bridge id yet
    await vi.advanceTimersByTimeAsync(3000)
    expect(await running).toEqual({ ok: false, reason: 'no_analytics' })
    expect(afterReload()).toEqual([])
  })

  it('a job cleared meanwhile (consent withdrawn) is not stored again by its run', async () => {
    const j = job()
    await runJob(createContext({ analytics: loaded('anon-3') }), j)
    expect(j).toMatchObject({ runs: 1, bridgeId: 'anon-3' })
    expect(afterReload()).toEqual([])
  })

  it('a stored job whose bridge id is known writes its run once', async () => {
    const { OUTBOX_KEY } = await import('../core/outbox')
    const j = job({ bridgeId: 'anon-old', runs: 2 })
    saveJob(j)
    const setItem = vi.spyOn(localStorage, 'setItem')
    await runJob(createContext({ analytics: loaded('anon-now') }), j)
    expect(setItem.mock.calls.filter((call) => call[0] === OUTBOX_KEY)).toHaveLength(1)
    expect(afterReload()[0]).toMatchObject({ runs: 3, bridgeId: 'anon-old' })
    setItem.mockRestore()
  })
})
