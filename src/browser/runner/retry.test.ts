import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { vi } from 'vitest'
import { backoffDelay, retry, type Attempt } from './retry'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

/** Run `retry` to its end under fake timers; returns its value and when each attempt started. */
async function run<T>(outcomes: (Attempt<T> | 'throw')[], limits: Parameters<typeof retry>[1]) {
  const at: number[] = []
  const start = Date.now()
  let settled = false
  let value: T | undefined
  void retry(async () => {
    at.push(Date.now() - start)
    const next = outcomes.length > 1 ? outcomes.shift()! : outcomes[0]!
    if (next === 'throw') throw new TypeError('Failed to fetch')
    return next
  }, limits).then((v) => {
    settled = true
    value = v as T | undefined
  })
  for (let i = 0; i < 200 && !settled; i++) await vi.advanceTimersByTimeAsync(500)
  return { value, at, settled }
}

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4].map((i) => backoffDelay(i, { baseMs: 1000, maxMs: 8000 }))).toEqual([1000, 2000, 4000, 8000, 8000])
  })
})

describe('retry', () => {
  const limits = { tries: 4, baseMs: 1000, maxMs: 60_000 }

  it('a first success: one attempt, its value', async () => {
    const r = await run([{ done: true, value: 202 }], limits)
    expect(r).toMatchObject({ value: 202, at: [0] })
  })

  it('retries with backoff 1, 2, 4 s, then gives up with undefined', async () => {
    const r = await run([{ done: false }], limits)
    expect(r.settled).toBe(true)
    expect(r.value).toBeUndefined()
    expect(r.at).toEqual([0, 1000, 3000, 7000])
  })

  it('waits a server-given delay instead, capped at maxMs', async () => {
    const r = await run([{ done: false, retryAfterMs: 5000 }, { done: false, retryAfterMs: 600_000 }, { done: true, value: 1 }], limits)
    expect(r.at).toEqual([0, 5000, 65_000])
    expect(r.value).toBe(1)
  })

  it('an attempt that throws is one worth retrying, never a rejection', async () => {
    const r = await run(['throw', { done: true, value: 'ok' }], limits)
    expect(r).toMatchObject({ value: 'ok', at: [0, 1000] })
  })

  it('stops when keepGoing says so (destroyed, consent withdrawn)', async () => {
    let go = true
    const r = run([{ done: false }], { ...limits, keepGoing: () => go })
    await vi.advanceTimersByTimeAsync(0)
    go = false
    const done = await r
    expect(done.at).toEqual([0])
    expect(done.value).toBeUndefined()
  })
})
