// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createContext } from '../core/context'
import { flushOutbox, markSent, resolveBridgeId, runJob, sendToKlaviyo, stepsOf } from './job-runner'
import { newJobId, readJobs, saveJob, type Job } from '../core/outbox'
import type { AnalyticsLike } from '../types'
import { fakeAnalytics, fakeFetch } from '../../../test/helpers/browser-fakes'

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

  it('each Segment event is keyed with its job\'s bridge id, also while an earlier page\'s job under another id runs alongside', async () => {
    // fakeAnalytics models analytics-next: an `anonymousId` option becomes its anonymousId.
    const fa = fakeAnalytics({ anonymousId: 'anon-now' })
    const earlier = job({ bridgeId: 'anon-before-reset' })
    const fresh = job({ email: 'bob@example.com' })
    saveJob(earlier)
    saveJob(fresh)
    const context = createContext({ analytics: fa.analytics })
    await flushOutbox(context)
    await new Promise((resolve) => setTimeout(resolve, 0))
    const keyedWith = (j: Job) => fa.calls.filter((c) => String((c.args[c.args.length - 1] as { messageId?: string }).messageId).startsWith(`mst-${j.id}-`)).map((c) => c.anonymousId)
    expect(keyedWith(earlier)).toEqual(['anon-before-reset', 'anon-before-reset'])
    expect(keyedWith(fresh)).toEqual(['anon-now', 'anon-now'])
    expect(readJobs()).toEqual([]) // each step sent once: both jobs done
  })

  it('without analytics: no_analytics and the job is dropped', async () => {
    const j = job()
    saveJob(j)
    expect(await runJob(createContext({}), j)).toEqual({ ok: false, reason: 'no_analytics' })
    expect(readJobs()).toEqual([])
  })
})

describe('analytics.js blocked (the snippet stub is there, analytics.js never loads)', () => {
  /** The Segment snippet's stub: every call is pushed as `[method, ...args]` (research/segment.md "Snippet"). */
  const stub = () => {
    const calls: unknown[][] = []
    return Object.assign(calls, { setAnonymousId: (...args: unknown[]) => calls.push(['setAnonymousId', ...args]), ready: (...args: unknown[]) => calls.push(['ready', ...args]) })
  }
  const klaviyoBodies = () => (fetch as unknown as ReturnType<typeof vi.fn>).mock.calls.map((call) => JSON.parse(call[1].body).data.attributes)
  /** A capture run on a page whose analytics.js never loads, past the wait: the job and its minted id. */
  const runBlocked = async () => {
    vi.useFakeTimers()
    const context = createContext({ analytics: stub() as unknown as AnalyticsLike, klaviyo: { companyId: 'A' } })
    const j = job()
    saveJob(j)
    const result = runJob(context, j)
    await vi.advanceTimersByTimeAsync(3000)
    const id = (await result as { anonymousId: string }).anonymousId
    await vi.advanceTimersByTimeAsync(0)
    return { j, id }
  }

  it('after the wait an anonymousId is minted, queued on the stub, stored for analytics.js; Klaviyo gets it, Segment waits', async () => {
    vi.useFakeTimers()
    const analytics = stub()
    const context = createContext({ analytics: analytics as unknown as AnalyticsLike, klaviyo: { companyId: 'A' } })
    const j = job()
    saveJob(j)
    const result = runJob(context, j)
    await vi.advanceTimersByTimeAsync(2999)
    expect(klaviyoBodies()).toEqual([]) // still waiting for analytics.js
    await vi.advanceTimersByTimeAsync(1)
    const id = (await result as { anonymousId: string }).anonymousId
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(await result).toEqual({ ok: true, email: 'ada@example.com', anonymousId: id })
    expect(analytics.filter((call) => call[0] === 'setAnonymousId')).toEqual([['setAnonymousId', id]])
    expect(JSON.parse(localStorage.getItem('ajs_anonymous_id')!)).toBe(id)
    await vi.advanceTimersByTimeAsync(0)
    expect(klaviyoBodies()[0]).toMatchObject({ anonymous_id: id, properties: { segment_anonymous_id: id } })
    // Segment's steps stay in the outbox for a page where analytics.js loads.
    expect(readJobs()).toEqual([expect.objectContaining({ bridgeId: id, sent: ['profile'] })])
    expect(analytics.some((call) => call[0] === 'identify' || call[0] === 'track')).toBe(false)
  })

  it('a later page where analytics.js loads under that id sends identify and Email Captured once, with the messageIds of the job', async () => {
    const { j, id } = await runBlocked()
    // The next page: the job is read back (re-validated) and run by a loaded analytics.js.
    const [stored] = readJobs()
    expect(stored).toMatchObject({ id: j.id, bridgeId: id, sent: ['profile'] })
    const later = loaded(id)
    // analytics.js resolves each call's promise with the event's context once delivery was attempted.
    const laterTrack = vi.fn((..._args: unknown[]) => Promise.resolve({}))
    later.identify.mockImplementation(() => Promise.resolve({}))
    ;(later as unknown as { track: unknown }).track = laterTrack
    expect(await runJob(createContext({ analytics: later, klaviyo: { companyId: 'A' } }), stored!)).toEqual({ ok: true, email: 'ada@example.com', anonymousId: id })
    await vi.advanceTimersByTimeAsync(0)
    expect(later.identify).toHaveBeenCalledTimes(1)
    expect(later.identify.mock.calls[0]![1]).toMatchObject({ anonymousId: id, messageId: `mst-${j.id}-i` })
    expect(laterTrack).toHaveBeenCalledTimes(1)
    expect(laterTrack.mock.calls[0]![2]).toMatchObject({ anonymousId: id, messageId: `mst-${j.id}-t` })
    expect(klaviyoBodies()).toHaveLength(1) // the profile went once, on the first page
    expect(readJobs()).toEqual([]) // every step sent: the job is done
  })

  it('the job waiting for analytics.js survives further blocked page loads (re-validated on each read), within the outbox bounds', async () => {
    const { j, id } = await runBlocked()
    for (let page = 2; page <= 4; page++) {
      const [stored] = readJobs()
      expect(await runJob(createContext({ analytics: stub() as unknown as AnalyticsLike, klaviyo: { companyId: 'A' } }), stored!)).toEqual({ ok: true, email: 'ada@example.com', anonymousId: id })
    }
    expect(readJobs()).toEqual([expect.objectContaining({ id: j.id, bridgeId: id, sent: ['profile'], runs: 4 })])
    expect(klaviyoBodies()).toHaveLength(1) // the profile is not sent again
  })

  it('an anonymousId analytics.js stored on an earlier page is used at once, nothing minted', async () => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-stored-1'))
    const analytics = stub()
    const j = job()
    expect(await runJob(createContext({ analytics: analytics as unknown as AnalyticsLike }), j)).toEqual({ ok: true, email: 'ada@example.com', anonymousId: 'anon-stored-1' })
    expect(analytics.filter((call) => call[0] === 'setAnonymousId')).toEqual([])
  })

  it('the cookie analytics.js wrote is used when localStorage has none', async () => {
    document.cookie = 'ajs_anonymous_id=anon-cookie-1; path=/'
    const j = job()
    expect(await runJob(createContext({ analytics: stub() as unknown as AnalyticsLike }), j)).toMatchObject({ ok: true, anonymousId: 'anon-cookie-1' })
    document.cookie = 'ajs_anonymous_id=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  })

  it('localStorage unavailable: the id goes into the ajs_anonymous_id cookie, raw', async () => {
    vi.useFakeTimers()
    const refuse = vi.spyOn(localStorage, 'setItem').mockImplementation(() => { throw new DOMException('full', 'QuotaExceededError') })
    try {
      const result = runJob(createContext({ analytics: stub() as unknown as AnalyticsLike }), job({ bridgeId: undefined }))
      await vi.advanceTimersByTimeAsync(3000)
      const id = (await result as { anonymousId: string }).anonymousId
      expect(document.cookie).toContain(`ajs_anonymous_id=${id}`)
    } finally {
      refuse.mockRestore()
      document.cookie = 'ajs_anonymous_id=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
    }
  })

  it('no crypto.randomUUID (an old browser, an http page): no_analytics, nothing minted or stored', async () => {
    vi.useFakeTimers()
    vi.stubGlobal('crypto', {})
    try {
      const analytics = stub()
      const j = job()
      saveJob(j)
      const result = runJob(createContext({ analytics: analytics as unknown as AnalyticsLike, klaviyo: { companyId: 'A' } }), j)
      await vi.advanceTimersByTimeAsync(3000)
      expect(await result).toEqual({ ok: false, reason: 'no_analytics' })
      expect(analytics.filter((call) => call[0] === 'setAnonymousId')).toEqual([])
      expect(localStorage.getItem('ajs_anonymous_id')).toBeNull()
      expect(readJobs()).toEqual([])
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('no window.analytics at all (no Segment snippet): no_analytics at once, nothing minted', async () => {
    expect(await runJob(createContext({}), job())).toEqual({ ok: false, reason: 'no_analytics' })
    expect(localStorage.getItem('ajs_anonymous_id')).toBeNull()
  })
})

describe('the debug log says where the bridge id came from', () => {
  const stubOnly = () => Object.assign([] as unknown[][], { ready: () => {} }) as unknown as AnalyticsLike

  it('minted, or read from analytics.js storage, while analytics.js has not loaded', async () => {
    vi.useFakeTimers()
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    try {
      const minted = runJob(createContext({ analytics: stubOnly(), debug: true }), job())
      await vi.advanceTimersByTimeAsync(3000)
      const id = (await minted as { anonymousId: string }).anonymousId
      expect(info).toHaveBeenCalledWith('[mailstitch]', 'captured', 'ada@example.com', id, 'minted, analytics.js not loaded')
      await runJob(createContext({ analytics: stubOnly(), debug: true }), job({ email: 'bob@example.com' }))
      expect(info).toHaveBeenCalledWith('[mailstitch]', 'captured', 'bob@example.com', id, 'storage, analytics.js not loaded')
      await runJob(createContext({ analytics: loaded('anon-7'), debug: true }), job({ email: 'cy@example.com' }))
      expect(info).toHaveBeenCalledWith('[mailstitch]', 'captured', 'cy@example.com', 'anon-7', 'analytics.js')
    } finally {
      info.mockRestore()
    }
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
    // Never loaded: an id is minted (see 'analytics.js blocked'); the Segment steps wait in the outbox.
    const result = (await running) as { ok: boolean; anonymousId: string }
    expect(result.ok).toBe(true)
    expect(afterReload()).toEqual([expect.objectContaining({ id: j.id, runs: 1, bridgeId: result.anonymousId })])
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
