/**
 * The one retry policy of the server side (Web APIs only, so `relay poll`, `relay serve`, the
 * Worker and the Lambda handler all run it): Segment deliveries (segment-delivery.ts), Klaviyo
 * look-ups (klaviyo-lookup.ts) and the poll's klaviyo-api session (src/relay/klaviyo-client.ts,
 * with the SDK's own retry turned off). Callers keep their own limits as parameters: a webhook
 * must be answered promptly, so its retries end at a deadline (it then answers 503 and the sender
 * delivers again later); the poll has no deadline but a number of attempts, and stops at once
 * when the relay is stopped (`signal`).
 *
 * One Retry-After rule ({@link retryAfterMs}): on any answer the caller retries (429, 5xx), the
 * server's wait, in seconds or as an HTTP-date (RFC 9110 §10.2.3), replaces the doubling delay, up
 * to 5 minutes; a wait that would end after the deadline ends the retries instead.
 */

/** Longest Retry-After honoured: a server asking for more is treated as asking for 5 minutes. */
export const MAX_RETRY_AFTER_MS = 300_000

/** Limits of one caller's retries. */
export interface DeadlineRetryPolicy {
  /** Delay before the first retry, ms; doubled for each further retry. */
  baseDelayMs: number
  /** Longest doubling delay, ms (a Retry-After is not capped by it). Default 60,000. */
  maxDelayMs?: number
  /** Attempts in all; default as many as the deadline allows. */
  maxAttempts?: number
  /** Spread each doubling delay over ±50 % so many clients do not retry in step. Default false. */
  jitter?: boolean
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
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Uniform in [0, 1) for jitter; default Math.random. */
  random?(): number
}

/** Delay before retry number `retry` (0-based) under `policy`, before any Retry-After. */
export function backoffDelay(policy: DeadlineRetryPolicy, retry: number, random: () => number = Math.random): number {
  const delay = Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs ?? 60_000)
  return policy.jitter ? delay * (0.5 + random()) : delay
}

/**
 * Run `attempt` (given its 0-based number) until it succeeds; reject with its failure when it says
 * not to retry, the attempts are spent, `signal` is aborted, or the next attempt would start at or
 * after `deadline` (epoch ms; `Infinity` for none). An attempt that throws ends the retries with that error.
 */
export async function retryUntilDeadline<T>(attempt: (n: number) => Promise<AttemptResult<T>>, policy: DeadlineRetryPolicy, deadline: number, clock: RetryClock, signal?: AbortSignal): Promise<T> {
  for (let n = 0; ; n++) {
    const result = await attempt(n)
    if (result.ok) return result.value
    const waitMs = result.retryAfterMs ?? backoffDelay(policy, n, clock.random ?? Math.random)
    const spent = policy.maxAttempts !== undefined && n + 1 >= policy.maxAttempts
    if (!result.retry || spent || signal?.aborted || clock.now() + waitMs >= deadline) throw result.failure
    await clock.sleep(waitMs, signal)
    if (signal?.aborted) throw result.failure
  }
}

/** The server side's one sleep: resolves after `ms` on the runtime's own timer, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * A response's Retry-After in ms (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), at most
 * {@link MAX_RETRY_AFTER_MS}; undefined when absent, unreadable or negative.
 */
export function retryAfterMs(headers: Headers | { get(name: string): string | null }, now: number = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  let ms: number
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000
  else {
    const at = Date.parse(value)
    if (Number.isNaN(at) || !/[a-z]/i.test(value)) return undefined
    ms = Math.max(0, at - now)
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS)
}
