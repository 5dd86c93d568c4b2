/**
 * A client-side request budget matching Klaviyo's per-account limits: a burst window (1 s) and a
 * steady window (1 min), both counted over a sliding log of recent request times (Klaviyo developer
 * guide "Rate limits and error handling": fixed burst and steady windows per account and endpoint).
 * One instance counts only its own calls; several relay instances share the account's budget, so
 * a 429 with Retry-After is still expected and handled by the caller.
 */
import { sleep as defaultSleep } from './retry'

/** One window: at most `limit` requests per `windowMs`. */
export interface RateWindow {
  limit: number
  windowMs: number
}

/** Klaviyo Get Profiles (and Get Profile): 75/s burst, 700/min steady (tier L). */
export const PROFILES_RATE: readonly RateWindow[] = [
  { limit: 75, windowMs: 1_000 },
  { limit: 700, windowMs: 60_000 },
]

/** Klaviyo Get Metric(s): 10/s burst, 150/min steady (tier M). */
export const METRICS_RATE: readonly RateWindow[] = [
  { limit: 10, windowMs: 1_000 },
  { limit: 150, windowMs: 60_000 },
]

/** Thrown when the next free slot lies past the caller's deadline. */
export class RateBudgetExceeded extends Error {
  /** How long until a slot is free, ms. */
  readonly waitMs: number
  constructor(waitMs: number) {
    super(`Klaviyo rate limit: next request possible in ${Math.ceil(waitMs / 1000)} s`)
    this.name = 'RateBudgetExceeded'
    this.waitMs = waitMs
  }
}

/** Sliding-log limiter over one or more windows. */
export class RateLimiter {
  private readonly log: number[] = []
  private readonly longest: number

  constructor(
    private readonly windows: readonly RateWindow[],
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {
    this.longest = Math.max(0, ...windows.map((w) => w.windowMs))
  }

  /** How long until one more request fits in every window, ms (0 = now). */
  waitMs(): number {
    const t = this.now()
    while (this.log.length && this.log[0] <= t - this.longest) this.log.shift()
    let wait = 0
    for (const w of this.windows) {
      // Requests inside this window, oldest first: the log is sorted.
      let first = this.log.length
      while (first > 0 && this.log[first - 1] > t - w.windowMs) first--
      const inWindow = this.log.length - first
      if (inWindow >= w.limit) wait = Math.max(wait, this.log[first + inWindow - w.limit] + w.windowMs - t)
    }
    return wait
  }

  /** Take a slot, waiting for one if needed; throws {@link RateBudgetExceeded} when that would pass `deadline` (epoch ms). */
  async acquire(deadline: number): Promise<void> {
    for (;;) {
      const wait = this.waitMs()
      if (wait <= 0) break
      if (this.now() + wait > deadline) throw new RateBudgetExceeded(wait)
      await this.sleep(wait)
    }
    this.log.push(this.now())
  }
}
