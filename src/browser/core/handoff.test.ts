// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MailstitchOptions } from '../types'
import type { Runner } from './context'
import type { AnalyticsLike, SegmentUtilityPlugin } from '../types'

// The runner as the script tag may find it: not loadable (blocked, offline), or loaded.
const loadRunner = vi.fn<() => Promise<Runner>>()

const { STORED_JOBS_FALLBACK_MS, flushStoredJobs, flushStoredJobsWhenAnalyticsLoads, prefetchRunner, runJobLater } = await import('./handoff')
const { createContext: createCoreContext } = await import('./context')
/** A context whose way to the runner is the mock above. */
const createContext = (options: MailstitchOptions) => createCoreContext(options, () => loadRunner())
const { OUTBOX_KEY, addJob, newJobId, readJobs } = await import('./outbox')

const analytics = { identify() {}, track() {} }
const job = () => ({ id: newJobId(), capturedAt: Date.now(), runs: 0, email: 'ada@example.com', source: 'form', subscribe: false, sent: [] })
const now = (work: () => void) => work()

beforeEach(() => {
  localStorage.clear()
  loadRunner.mockReset()
})
afterEach(() => vi.useRealTimers())

describe('runJobLater', () => {
  it('waits for its schedule, then hands the job to the runner and resolves its result', async () => {
    const result = { ok: true as const, email: 'ada@example.com', anonymousId: 'anon-1' }
    const runJob = vi.fn(async () => result)
    loadRunner.mockResolvedValue({ runJob } as unknown as Runner)
    let start: (() => void) | undefined
    const pending = runJobLater(createContext({ analytics }), job(), (work) => (start = work))
    expect(loadRunner).not.toHaveBeenCalled()
    start!()
    await expect(pending).resolves.toEqual(result)
    expect(runJob).toHaveBeenCalledTimes(1)
  })

  it('a runner that cannot load: the capture resolves no_analytics and its job stays stored for the next page', async () => {
    loadRunner.mockRejectedValue(new Error('blocked'))
    const stored = job()
    addJob(stored)
    await expect(runJobLater(createContext({ analytics }), stored, now)).resolves.toEqual({ ok: false, reason: 'no_analytics' })
    expect(readJobs().map((each) => each.id)).toEqual([stored.id])
  })
})

describe('prefetchRunner', () => {
  it('asks for the runner and swallows a failure', async () => {
    loadRunner.mockRejectedValue(new Error('offline'))
    prefetchRunner(createContext({ analytics }))
    expect(loadRunner).toHaveBeenCalledTimes(1)
    await Promise.resolve()
  })
})

describe('flushStoredJobs', () => {
  it('loads nothing on a page without stored jobs (most page views)', async () => {
    await flushStoredJobs(createContext({ analytics }))
    expect(loadRunner).not.toHaveBeenCalled()
  })

  it('hands stored jobs to the runner; a runner that cannot load leaves them stored', async () => {
    addJob(job())
    const flushOutbox = vi.fn(async () => {})
    loadRunner.mockResolvedValueOnce({ flushOutbox } as unknown as Runner).mockRejectedValueOnce(new Error('offline'))
    const context = createContext({ analytics })
    await flushStoredJobs(context)
    expect(flushOutbox).toHaveBeenCalledWith(context)
    await expect(flushStoredJobs(context)).resolves.toBeUndefined()
    expect(JSON.parse(localStorage.getItem(OUTBOX_KEY)!)).toHaveLength(1)
  })
})

describe('flushStoredJobsWhenAnalyticsLoads (start-up)', () => {
  /** A snippet stub: calls are queued as analytics.js would find them; `load()` plays analytics-next registering the plugins. */
  function stub() {
    const queue: unknown[][] = []
    const analytics = Object.assign(queue, {
      register: (plugin: SegmentUtilityPlugin) => void queue.push(['register', plugin]),
      deregister: (name: string) => void queue.push(['deregister', name]),
    })
    const load = () => {
      for (const [method, plugin] of queue) if (method === 'register') void (plugin as SegmentUtilityPlugin).load()
    }
    return { analytics: analytics as unknown as AnalyticsLike, queue, load }
  }

  it('reads no storage until analytics.js has loaded its plugins; then runs the stored jobs', async () => {
    addJob(job())
    const flushOutbox = vi.fn(async () => {})
    loadRunner.mockResolvedValue({ flushOutbox } as unknown as Runner)
    const page = stub()
    const getItem = vi.spyOn(localStorage, 'getItem')
    const context = createContext({ analytics: page.analytics })
    const flushed = flushStoredJobsWhenAnalyticsLoads(context)
    expect(page.queue.map((call) => [call[0], (call[1] as SegmentUtilityPlugin).name, (call[1] as SegmentUtilityPlugin).type])).toEqual([['register', 'mailstitch-start', 'utility']])
    await Promise.resolve()
    expect(getItem).not.toHaveBeenCalled()
    page.load()
    await flushed
    expect(getItem).toHaveBeenCalledWith(OUTBOX_KEY)
    expect(flushOutbox).toHaveBeenCalledWith(context)
  })

  it('analytics.js never loads (blocked): the look happens after 3 s all the same', async () => {
    vi.useFakeTimers()
    addJob(job())
    const flushOutbox = vi.fn(async () => {})
    loadRunner.mockResolvedValue({ flushOutbox } as unknown as Runner)
    const context = createContext({ analytics: stub().analytics })
    const flushed = flushStoredJobsWhenAnalyticsLoads(context)
    await vi.advanceTimersByTimeAsync(STORED_JOBS_FALLBACK_MS - 1)
    expect(loadRunner).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    await flushed
    expect(flushOutbox).toHaveBeenCalledTimes(1)
  })

  it('tag before the snippet: registers once the page is parsed, on the stub the snippet made', async () => {
    vi.useFakeTimers()
    const readyState = vi.spyOn(document, 'readyState', 'get').mockReturnValue('loading')
    const holder = { analytics: undefined as unknown }
    const context = createContext({})
    context.analytics = () => holder.analytics as never
    const flushed = flushStoredJobsWhenAnalyticsLoads(context)
    const page = stub()
    holder.analytics = page.analytics // the snippet ran after the tag
    expect(page.queue).toHaveLength(0)
    readyState.mockReturnValue('interactive')
    document.dispatchEvent(new Event('DOMContentLoaded'))
    expect(page.queue.map((call) => call[0])).toEqual(['register'])
    page.load()
    await expect(flushed).resolves.toBeUndefined()
    expect(loadRunner).not.toHaveBeenCalled() // no stored jobs: nothing to load
    for (const cleanup of context.cleanups.splice(0)) cleanup() // its DOMContentLoaded listener
  })

  it('destroyed before the page is parsed (tag before the snippet): resolves at once, no timer or listener left', async () => {
    vi.useFakeTimers()
    addJob(job())
    const readyState = vi.spyOn(document, 'readyState', 'get').mockReturnValue('loading')
    const context = createContext({})
    context.analytics = () => undefined
    const flushed = flushStoredJobsWhenAnalyticsLoads(context)
    expect(context.cleanups.length).toBeGreaterThan(0) // positive signal: it is waiting
    context.destroyed = true
    for (const cleanup of context.cleanups.splice(0)) cleanup()
    await expect(flushed).resolves.toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    readyState.mockReturnValue('interactive')
    document.dispatchEvent(new Event('DOMContentLoaded'))
    expect(vi.getTimerCount()).toBe(0)
    expect(loadRunner).not.toHaveBeenCalled()
  })

  it('destroyed while it waits for analytics.js: the fallback timer is cleared', async () => {
    vi.useFakeTimers()
    const context = createContext({ analytics: stub().analytics })
    const flushed = flushStoredJobsWhenAnalyticsLoads(context)
    expect(vi.getTimerCount()).toBe(1)
    context.destroyed = true
    for (const cleanup of context.cleanups.splice(0)) cleanup()
    expect(vi.getTimerCount()).toBe(0)
    await expect(flushed).resolves.toBeUndefined()
  })

  it('a page reached through a redirect (a form POST answered with one) asks for the runner at once; another page does not', async () => {
    // happy-dom has no performance.navigation (Navigation Timing Level 1); Chromium's is checked in e2e.
    let redirectCount = 0
    const read = vi.fn(() => ({ redirectCount }))
    Object.defineProperty(performance, 'navigation', { get: read, configurable: true })
    try {
      loadRunner.mockResolvedValue({ flushOutbox: async () => {} } as unknown as Runner)
      void flushStoredJobsWhenAnalyticsLoads(createContext({ analytics: stub().analytics }))
      expect(read).toHaveBeenCalled() // positive signal: it looked
      expect(loadRunner).not.toHaveBeenCalled()
      redirectCount = 1
      void flushStoredJobsWhenAnalyticsLoads(createContext({ analytics: stub().analytics }))
      expect(loadRunner).toHaveBeenCalledTimes(1)
    } finally {
      delete (performance as { navigation?: unknown }).navigation
    }
  })

  it('without performance.navigation (a browser that dropped it) start-up goes on without the prefetch', async () => {
    expect('navigation' in performance).toBe(false)
    addJob(job())
    const page = stub()
    loadRunner.mockResolvedValue({ flushOutbox: async () => {} } as unknown as Runner)
    const flushed = flushStoredJobsWhenAnalyticsLoads(createContext({ analytics: page.analytics }))
    expect(loadRunner).not.toHaveBeenCalled()
    page.load()
    await flushed
    expect(loadRunner).toHaveBeenCalledTimes(1) // the stored job is still run once analytics.js loads
  })

  it('a destroyed instance runs nothing', async () => {
    addJob(job())
    const page = stub()
    const context = createContext({ analytics: page.analytics })
    const flushed = flushStoredJobsWhenAnalyticsLoads(context)
    context.destroyed = true
    page.load()
    await flushed
    expect(loadRunner).not.toHaveBeenCalled()
  })
})
