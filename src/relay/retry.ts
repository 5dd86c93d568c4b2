/**
 * The relay's one backoff/retry policy (Node runtime). Callers keep their own limits as
 * parameters: the Segment batch sender (8 retries, 500 ms doubling to 60 s, ±50 % jitter, Retry-After
 * honoured) and the Klaviyo client's network-error retries (4 retries, 500 ms doubling to 30 s).
 * Waits use the one abortable {@link sleep}, so a stopping relay never sits out a backoff.
 */
import { sleep } from './sleep'

/** Limits of one caller's retries. */
export interface RetryPolicy {
  /** Retries after the first attempt (so `retries + 1` attempts in all). */
  retries: number
  /** Delay before the first retry, ms; doubled for each further retry. */
  baseDelayMs: number
  /** Longest delay between two attempts, ms (before jitter). */
  maxDelayMs: number
  /** Spread each delay uniformly over ±50 % so many clients do not retry in step. Default false. */
  jitter?: boolean
}

/** What one attempt produced: the value to return, and whether to try again. */
export interface AttemptOutcome<T> {
  value: T
  /** True when the failure is worth another attempt (outage, throttling). */
  retry: boolean
  /** The server's own wait (Retry-After), ms; the delay is at least this. */
  retryAfterMs?: number
}

/** Delay before retry number `retry` (0-based) under `policy`. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const delay = Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs)
  return policy.jitter ? delay * (0.5 + random()) : delay
}

/**
 * Run `attempt` until it says not to retry, the retries are spent, or `signal` aborts; resolve with
 * the last attempt's value (a failure the caller reports, or a success).
 */
export async function retryWithBackoff<T>(attempt: (retry: number) => Promise<AttemptOutcome<T>>, policy: RetryPolicy, signal?: AbortSignal, random: () => number = Math.random): Promise<T> {
  for (let n = 0; ; n++) {
    const out = await attempt(n)
    if (!out.retry || n >= policy.retries || signal?.aborted) return out.value
    await sleep(Math.max(backoffDelay(policy, n, random), out.retryAfterMs ?? 0), signal)
  }
}
