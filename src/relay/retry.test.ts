import { describe, expect, it, vi } from 'vitest'
import { useFakeTime } from '../../test/helpers/fake-time'
import { backoffDelay, retryWithBackoff, type AttemptOutcome } from './retry'

useFakeTime()

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, jitter spreading it over ±50 %', () => {
    const p = { retries: 10, baseDelayMs: 500, maxDelayMs: 4_000 }
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(p, n))).toEqual([500, 1000, 2000, 4000, 4000])
    expect(backoffDelay({ ...p, jitter: true }, 1, () => 0)).toBe(500)
    expect(backoffDelay({ ...p, jitter: true }, 1, () => 0.999)).toBeCloseTo(1499, 0)
  })
})

describe('retryWithBackoff', () => {
  it('retries with growing waits and stops once an attempt succeeds', async () => {
    const at: number[] = []
    const start = Date.now()
    const done = retryWithBackoff<string>(async (n) => {
      at.push(Date.now() - start)
      return n < 2 ? { value: 'fail', retry: true } : { value: 'ok', retry: false }
    }, { retries: 5, baseDelayMs: 100, maxDelayMs: 10_000 })
    await vi.runAllTimersAsync()
    expect(await done).toBe('ok')
    expect(at).toEqual([0, 100, 300])
  })

  it('gives up after the retries and returns the last failure; never retries a final answer', async () => {
    const outcomes: AttemptOutcome<string>[] = []
    const done = retryWithBackoff<string>(async (n) => {
      const o = { value: `fail ${n}`, retry: true }
      outcomes.push(o)
      return o
    }, { retries: 3, baseDelayMs: 10, maxDelayMs: 10 })
    await vi.runAllTimersAsync()
    expect(await done).toBe('fail 3')
    expect(outcomes).toHaveLength(4)
    let calls = 0
    const final = retryWithBackoff(async () => {
      calls++
      return { value: 'refused', retry: false }
    }, { retries: 3, baseDelayMs: 10, maxDelayMs: 10 })
    expect(await final).toBe('refused')
    expect(calls).toBe(1)
  })

  it('waits at least the server’s Retry-After', async () => {
    const at: number[] = []
    const start = Date.now()
    const done = retryWithBackoff(async (n) => {
      at.push(Date.now() - start)
      return n === 0 ? { value: 'throttled', retry: true, retryAfterMs: 5_000 } : { value: 'ok', retry: false }
    }, { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 })
    await vi.runAllTimersAsync()
    expect(await done).toBe('ok')
    expect(at).toEqual([0, 5_000])
  })

  it('an abort cuts the wait short and ends the retries', async () => {
    const ctl = new AbortController()
    let calls = 0
    const done = retryWithBackoff(async () => {
      calls++
      return { value: 'down', retry: true }
    }, { retries: 10, baseDelayMs: 60_000, maxDelayMs: 60_000 }, ctl.signal)
    await vi.advanceTimersByTimeAsync(1_000)
    ctl.abort()
    expect(await done).toBe('down')
    expect(calls).toBe(2) // the attempt after the cut-short wait sees the abort and returns
    expect(vi.getTimerCount()).toBe(0)
  })
})
