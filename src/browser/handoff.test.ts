// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Runner } from './runner-loader'

// The runner as the script tag may find it: not loadable (blocked, offline), or loaded.
const loadRunner = vi.fn<() => Promise<Runner>>()
vi.mock('./runner-loader', () => ({ loadRunner: () => loadRunner() }))

const { flushStoredJobs, prefetchRunner, runJobLater } = await import('./handoff')
const { createContext } = await import('./context')
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
    prefetchRunner()
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
