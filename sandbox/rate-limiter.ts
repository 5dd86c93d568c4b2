/**
 * Per-endpoint rate limiter as Klaviyo documents it (developers.klaviyo.com/en/docs/rate_limits_and_error_handling):
 * "All new API endpoints are rate limited on a per-account basis, and use a fixed-window rate
 * limiting algorithm with two distinct windows: burst (1-second window) and steady (1-minute
 * window) ... will receive HTTP 429 errors in the event either a burst or steady rate limit is
 * reached." Non-429 answers carry `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` for
 * the steady window; a 429 carries `Retry-After` (integer seconds). Each endpoint's tier is on its
 * API reference page; the emulators pass them in, so the limiter itself knows no endpoint.
 *
 * Pure apart from the injected clock, so tests drive it with fake timers or a hand-made clock.
 */

/** One endpoint's limits: requests per 1-second burst window and per 1-minute steady window. */
export interface RateLimit {
  burstPerSecond: number
  steadyPerMinute: number
}

/** Klaviyo's named tiers ("Unless otherwise documented, all API endpoints use one of the following"). */
export const KLAVIYO_TIERS = {
  XS: { burstPerSecond: 1, steadyPerMinute: 15 },
  S: { burstPerSecond: 3, steadyPerMinute: 60 },
  M: { burstPerSecond: 10, steadyPerMinute: 150 },
  L: { burstPerSecond: 75, steadyPerMinute: 700 },
  XL: { burstPerSecond: 350, steadyPerMinute: 3500 },
} as const satisfies Record<string, RateLimit>

/** Outcome of {@link RateLimiter.take}. */
export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; retryAfterSeconds: number; window: 'burst' | 'steady' }

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Limits by endpoint name (the caller's own names, e.g. 'GET /api/events'). Unlisted endpoints are not limited. */
  limits: Readonly<Record<string, RateLimit>>
  /** Clock in epoch ms. Default Date.now. */
  now?: () => number
}

interface Windows {
  burstStart: number
  burstCount: number
  steadyStart: number
  steadyCount: number
}

/** Fixed-window burst + steady limiter, one pair of windows per (account, endpoint). */
export class RateLimiter {
  private readonly limits: Readonly<Record<string, RateLimit>>
  private readonly now: () => number
  private readonly windows = new Map<string, Windows>()

  constructor(options: RateLimiterOptions) {
    this.limits = options.limits
    this.now = options.now ?? Date.now
  }

  /** The limit of an endpoint, or undefined when it is not limited. */
  limitOf(endpoint: string): RateLimit | undefined {
    return Object.prototype.hasOwnProperty.call(this.limits, endpoint) ? this.limits[endpoint] : undefined
  }

  /**
   * Count one request of `account` to `endpoint`. A refused request is not counted (Klaviyo's docs
   * do not say; counting it would lock a retrying client out for longer, but nothing suggests it).
   */
  take(endpoint: string, account = 'default'): RateDecision {
    const limit = this.limitOf(endpoint)
    if (!limit) return { allowed: true, limit: Number.POSITIVE_INFINITY, remaining: Number.POSITIVE_INFINITY, resetSeconds: 0 }
    const t = this.now()
    const key = `${account}\u0000${endpoint}`
    let w = this.windows.get(key)
    if (!w) {
      w = { burstStart: t, burstCount: 0, steadyStart: t, steadyCount: 0 }
      this.windows.set(key, w)
    }
    if (t - w.burstStart >= 1000) {
      w.burstStart = t
      w.burstCount = 0
    }
    if (t - w.steadyStart >= 60_000) {
      w.steadyStart = t
      w.steadyCount = 0
    }
    if (w.steadyCount >= limit.steadyPerMinute) {
      return { allowed: false, window: 'steady', retryAfterSeconds: Math.max(1, Math.ceil((w.steadyStart + 60_000 - t) / 1000)) }
    }
    if (w.burstCount >= limit.burstPerSecond) {
      return { allowed: false, window: 'burst', retryAfterSeconds: Math.max(1, Math.ceil((w.burstStart + 1000 - t) / 1000)) }
    }
    w.burstCount++
    w.steadyCount++
    return {
      allowed: true,
      limit: limit.steadyPerMinute,
      remaining: limit.steadyPerMinute - w.steadyCount,
      resetSeconds: Math.max(0, Math.ceil((w.steadyStart + 60_000 - t) / 1000)),
    }
  }

  /** Forget every window (tests, or an emulator reset). */
  reset(): void {
    this.windows.clear()
  }
}

/**
 * Response headers for a decision: `RateLimit-*` on an allowed request, `Retry-After` on a refused
 * one (both per Klaviyo's rate-limit page). Unlimited endpoints get none.
 */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  if (!decision.allowed) return { 'retry-after': String(decision.retryAfterSeconds) }
  if (!Number.isFinite(decision.limit)) return {}
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
  }
}

/**
 * Klaviyo's 429 body: JSON:API errors with code `throttled` (the error format on the same page:
 * `{errors: [{id, status, code, title, detail, source}]}`).
 */
export function throttledBody(retryAfterSeconds: number): { errors: Array<Record<string, unknown>> } {
  return {
    errors: [
      {
        id: 'throttled',
        status: 429,
        code: 'throttled',
        title: 'Request was throttled.',
        detail: `Request was throttled. Expected available in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
        source: {},
      },
    ],
  }
}
