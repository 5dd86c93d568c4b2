import { describe, expect, it, vi } from 'vitest'
import { useFakeTime } from '../../test/helpers/fake-time'
import { PROFILES_RATE, RateBudgetExceeded, RateLimiter } from './rate-limit'

useFakeTime('2026-04-14T00:00:00Z')

describe('RateLimiter', () => {
  it("models Klaviyo's Get Profiles limits: 75 a second, 700 a minute", async () => {
    const limiter = new RateLimiter(PROFILES_RATE)
    const far = Date.now() + 3600_000
    const times: number[] = []
    const run = (async () => {
      for (let i = 0; i < 760; i++) {
        await limiter.acquire(far)
        times.push(Date.now())
      }
    })()
    await vi.runAllTimersAsync()
    await run
    const t0 = times[0]
    // No 1-second window holds more than 75 requests, no minute more than 700.
    for (let i = 75; i < times.length; i++) expect(times[i] - times[i - 75]).toBeGreaterThanOrEqual(1000)
    for (let i = 700; i < times.length; i++) expect(times[i] - times[i - 700]).toBeGreaterThanOrEqual(60_000)
    expect(times[74]).toBe(t0)
    expect(times[75]).toBe(t0 + 1000)
    expect(times[700]).toBe(t0 + 60_000)
  })

  it('refuses at once when the next slot is past the deadline', async () => {
    const limiter = new RateLimiter([{ limit: 2, windowMs: 1000 }])
    const deadline = Date.now() + 500
    await limiter.acquire(deadline)
    await limiter.acquire(deadline)
    await expect(limiter.acquire(deadline)).rejects.toBeInstanceOf(RateBudgetExceeded)
    expect(limiter.waitMs()).toBe(1000)
  })
})
