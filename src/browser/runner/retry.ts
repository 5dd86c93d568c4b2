// The one retry policy of the browser runtime (issue 13): the Klaviyo client and the Shopify cart
// bridge both call `retry` with their own limits, the way analytics-next keeps one `backoff()`.

/** What one attempt reports: finished (with a value), or worth another try (optionally after a server-given delay). */
export type Attempt<T> = { done: true; value: T } | { done: false; retryAfterMs?: number }

/** A caller's limits. */
export interface RetryLimits {
  /** Attempts in all, the first included. */
  tries: number
  /** Delay before the first retry; doubled for each further one. */
  baseMs: number
  /** No delay is longer than this, a server's Retry-After included. */
  maxMs: number
  /** Asked before each retry: false stops (destroyed, consent withdrawn). */
  keepGoing?: () => boolean
}

/** Delay before retry number `retryIndex` (0 = the first retry): base · 2^index, capped. */
export function backoffDelay(retryIndex: number, limits: Pick<RetryLimits, 'baseMs' | 'maxMs'>): number {
  return Math.min(limits.maxMs, limits.baseMs * 2 ** retryIndex)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Run `attempt` until it is done, the tries are used up or `keepGoing` says stop; resolves the
 * value of the finished attempt, or `undefined` when it gave up. Never rejects: an attempt that
 * throws counts as one worth retrying.
 */
export async function retry<T>(attempt: () => Promise<Attempt<T>>, limits: RetryLimits): Promise<T | undefined> {
  for (let tryIndex = 0; tryIndex < limits.tries; tryIndex++) {
    let outcome: Attempt<T> = { done: false }
    try {
      outcome = await attempt()
    } catch { /* a network error: worth another try */ }
    if (outcome.done) return outcome.value
    if (tryIndex + 1 >= limits.tries) break
    const serverDelay = outcome.retryAfterMs
    await sleep(serverDelay ? Math.min(serverDelay, limits.maxMs) : backoffDelay(tryIndex, limits))
    if (limits.keepGoing && !limits.keepGoing()) break
  }
  return undefined
}
