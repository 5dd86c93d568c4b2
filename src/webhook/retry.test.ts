import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_RETRY_AFTER_MS, backoffDelay, retryAfterMs, retryUntilDeadline, sleep, type AttemptResult, type RetryClock } from './retry'

/** A clock that only moves when the code under test sleeps; records each wait. */
function steppedClock(start = 1_000_000): RetryClock & { waits: number[] } {
  let t = start
  const waits: number[] = []
  return {
    waits,
    now: () => t,
    sleep: async (ms) => {
      waits.push(ms)
      t += ms
    },
  }
}

const fail = (retry: boolean, retryAfterMs?: number): AttemptResult<string> => ({ ok: false, failure: new Error('no'), retry, retryAfterMs })

describe('retryUntilDeadline', () => {
  it('doubles the wait from the base until an attempt succeeds, numbering attempts from 0', async () => {
    const clock = steppedClock()
    const seen: number[] = []
    const value = await retryUntilDeadline(async (n) => (seen.push(n), n < 3 ? fail(true) : { ok: true, value: 'done' }), { baseDelayMs: 200 }, clock.now() + 60_000, clock)
    expect(value).toBe('done')
    expect(seen).toEqual([0, 1, 2, 3])
    expect(clock.waits).toEqual([200, 400, 800])
  })

  it('waits a Retry-After instead of the doubling delay', async () => {
    const clock = steppedClock()
    await retryUntilDeadline(async (n) => (n === 0 ? fail(true, 2_000) : n === 1 ? fail(true, 0) : { ok: true, value: 'x' }), { baseDelayMs: 250 }, clock.now() + 60_000, clock)
    expect(clock.waits).toEqual([2_000, 0])
  })

  it('rejects with the failure at once when the attempt says retrying will not help', async () => {
    const clock = steppedClock()
    const failure = new Error('refused')
    let calls = 0
    await expect(retryUntilDeadline(async () => (calls++, { ok: false, failure, retry: false }), { baseDelayMs: 250 }, clock.now() + 60_000, clock)).rejects.toBe(failure)
    expect(calls).toBe(1)
    expect(clock.waits).toEqual([])
  })

  it('stops after maxAttempts', async () => {
    const clock = steppedClock()
    let calls = 0
    await expect(retryUntilDeadline(async () => (calls++, fail(true)), { baseDelayMs: 250, maxAttempts: 5 }, clock.now() + 3_600_000, clock)).rejects.toThrow('no')
    expect(calls).toBe(5)
    expect(clock.waits).toEqual([250, 500, 1000, 2000])
  })

  it('does not start an attempt at or after the deadline, and does not sleep past it', async () => {
    const clock = steppedClock()
    const deadline = clock.now() + 1_000
    let calls = 0
    // Waits 200 (t+200), 400 (t+600); the next wait of 800 would end at t+1400 ≥ deadline.
    await expect(retryUntilDeadline(async () => (calls++, fail(true)), { baseDelayMs: 200 }, deadline, clock)).rejects.toThrow('no')
    expect(calls).toBe(3)
    expect(clock.waits).toEqual([200, 400])
    expect(clock.now()).toBeLessThan(deadline)

    const late = steppedClock()
    await expect(retryUntilDeadline(async () => fail(true, 60_000), { baseDelayMs: 200 }, late.now() + 10_000, late)).rejects.toThrow('no')
    expect(late.waits).toEqual([])
  })

  it('ends the retries with the error an attempt throws', async () => {
    const clock = steppedClock()
    const thrown = new Error('budget')
    let calls = 0
    await expect(
      retryUntilDeadline<string>(async () => {
        calls++
        throw thrown
      }, { baseDelayMs: 200 }, clock.now() + 60_000, clock),
    ).rejects.toBe(thrown)
    expect(calls).toBe(1)
  })
})

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resolves only once the runtime timer has run for the given ms', async () => {
    vi.useFakeTimers()
    let done = false
    const waiting = sleep(250).then(() => {
      done = true
    })
    await vi.advanceTimersByTimeAsync(249)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await waiting
    expect(done).toBe(true)
  })
})

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP-dates, at most 5 minutes; ignores an absent, unreadable or negative header', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2_000)
    expect(retryAfterMs(new Headers({ 'retry-after': '0' }))).toBe(0)
    expect(retryAfterMs(new Headers())).toBeUndefined()
    const now = Date.parse('2026-10-21T07:27:30Z')
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }), now)).toBe(30_000)
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2026 07:00:00 GMT' }), now)).toBe(0)
    expect(retryAfterMs(new Headers({ 'retry-after': '86400' }))).toBe(MAX_RETRY_AFTER_MS)
    expect(retryAfterMs(new Headers({ 'retry-after': '-5' }))).toBeUndefined()
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined()
  })
})

describe('backoffDelay and jitter', () => {
  it('doubles from the base up to the cap, jitter spreading it over ±50 %', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 4_000 }
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(policy, n))).toEqual([500, 1000, 2000, 4000, 4000])
    expect(backoffDelay({ ...policy, jitter: true }, 1, () => 0)).toBe(500)
    expect(backoffDelay({ ...policy, jitter: true }, 1, () => 0.999)).toBeCloseTo(1499, 0)
  })
})

describe('abort', () => {
  it('an abort cuts the wait short and ends the retries with the last failure', async () => {
    const ctl = new AbortController()
    let calls = 0
    const clock: RetryClock = { now: () => 0, sleep: async (_ms, signal) => void (ctl.abort(), signal) }
    await expect(retryUntilDeadline(async () => (calls++, fail(true)), { baseDelayMs: 1_000 }, Infinity, clock, ctl.signal)).rejects.toThrow('no')
    expect(calls).toBe(1)
    // The real sleep resolves at once on an abort.
    const stopped = new AbortController()
    stopped.abort()
    await sleep(3_600_000, stopped.signal)
  })
})
