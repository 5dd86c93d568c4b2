/**
 * The webhook core's one retry policy (Web-API runtime). A webhook must be answered promptly, so
 * unlike the poll's (src/relay/retry.ts, which may back off for minutes) retries here end at the
 * caller's deadline: the webhook then answers 503 and the sender (Klaviyo, Shopify) delivers again
 * later. Callers keep their own limits as parameters: Klaviyo look-ups (klaviyo-lookup.ts: 250 ms
 * doubling, 5 attempts at most) and Segment deliveries (segment-delivery.ts: 200 ms doubling, as
 * many attempts as the deadline allows). A server's Retry-After replaces the doubling delay.
 */

/** Limits of one caller's retries. */
export interface DeadlineRetryPolicy {
  /** Delay before the first retry, ms; doubled for each further retry. */
  baseDelayMs: number
  /** Attempts in all; default as many as the deadline allows. */
  maxAttempts?: number
}

/** How one attempt ended: with its value, or with a failure that may be worth another attempt. */
export type AttemptResult<T> =
  | { ok: true; value: T }
  | {
      ok: false
      /** What the caller rejects with when no further attempt is made. */
      failure: Error
      /** True when trying again may help (throttling, outage, network). */
      retry: boolean
      /** The server's own wait (Retry-After), ms; replaces the doubling delay. */
      retryAfterMs?: number
    }

/** The clock retries wait on (injected by tests). */
export interface RetryClock {
  now(): number
  sleep(ms: number): Promise<void>
}

/**
 * Run `attempt` (given its 0-based number) until it succeeds; reject with its failure when it says
 * not to retry, the attempts are spent, or the next attempt would start at or after `deadline`
 * (epoch ms). An attempt that throws ends the retries with that error.
 */
export async function retryUntilDeadline<T>(attempt: (n: number) => Promise<AttemptResult<T>>, policy: DeadlineRetryPolicy, deadline: number, clock: RetryClock): Promise<T> {
  for (let n = 0; ; n++) {
    const result = await attempt(n)
    if (result.ok) return result.value
    const waitMs = result.retryAfterMs ?? policy.baseDelayMs * 2 ** n
    const spent = policy.maxAttempts !== undefined && n + 1 >= policy.maxAttempts
    if (!result.retry || spent || clock.now() + waitMs >= deadline) throw result.failure
    await clock.sleep(waitMs)
  }
}

/** The webhook runtime's one sleep: resolves after `ms` on the runtime's own timer (every caller's default when no clock is injected). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A response's Retry-After in ms when it is a number of seconds (RFC 9110 §10.2.3); undefined when absent, a date or negative. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')
  const seconds = Number(value)
  return value !== null && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}
