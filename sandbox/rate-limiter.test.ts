import { describe, expect, it } from 'vitest'
import { KLAVIYO_TIERS, RateLimiter, rateLimitHeaders, throttledBody } from './rate-limiter'

function clock(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('RateLimiter (Klaviyo fixed burst + steady windows)', () => {
  it('refuses the request after the burst limit within one second, then allows it in the next second', () => {
    const c = clock()
    const rl = new RateLimiter({ limits: { 'GET /api/profiles': KLAVIYO_TIERS.L }, now: c.now })
    for (let i = 0; i < 75; i++) expect(rl.take('GET /api/profiles').allowed).toBe(true)
    const refused = rl.take('GET /api/profiles')
    expect(refused).toEqual({ allowed: false, window: 'burst', retryAfterSeconds: 1 })
    c.advance(1000)
    expect(rl.take('GET /api/profiles').allowed).toBe(true)
  })

  it('refuses after the steady limit within one minute, with Retry-After until the window ends', () => {
    const c = clock()
    const rl = new RateLimiter({ limits: { e: KLAVIYO_TIERS.M }, now: c.now })
    let allowed = 0
    for (let s = 0; s < 20; s++) {
      for (let i = 0; i < 10; i++) if (rl.take('e').allowed) allowed++
      c.advance(1000)
    }
    expect(allowed).toBe(150)
    const d = rl.take('e')
    expect(d).toMatchObject({ allowed: false, window: 'steady' })
    expect(d.allowed ? 0 : d.retryAfterSeconds).toBe(40)
    c.advance(40_000)
    expect(rl.take('e').allowed).toBe(true)
  })

  it('keeps separate windows per endpoint and per account, and leaves unlisted endpoints alone', () => {
    const c = clock()
    const rl = new RateLimiter({ limits: { a: KLAVIYO_TIERS.XS, b: KLAVIYO_TIERS.XS }, now: c.now })
    expect(rl.take('a', 'acct1').allowed).toBe(true)
    expect(rl.take('a', 'acct1').allowed).toBe(false)
    expect(rl.take('b', 'acct1').allowed).toBe(true)
    expect(rl.take('a', 'acct2').allowed).toBe(true)
    for (let i = 0; i < 1000; i++) expect(rl.take('unlisted').allowed).toBe(true)
  })

  it('reports the steady window in RateLimit-* headers and Retry-After on a refusal', () => {
    const c = clock()
    const rl = new RateLimiter({ limits: { e: { burstPerSecond: 1, steadyPerMinute: 5 } }, now: c.now })
    expect(rateLimitHeaders(rl.take('e'))).toEqual({ 'ratelimit-limit': '5', 'ratelimit-remaining': '4', 'ratelimit-reset': '60' })
    expect(rateLimitHeaders(rl.take('e'))).toEqual({ 'retry-after': '1' })
    expect(rateLimitHeaders(rl.take('unlisted'))).toEqual({})
    expect(throttledBody(3).errors[0]).toMatchObject({ status: 429, code: 'throttled' })
  })
})
