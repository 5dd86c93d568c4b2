/**
 * Delivering webhook messages to Segment's HTTP Tracking API (`POST {host}/v1/batch`, HTTP Basic
 * auth with the write key; segment-docs "HTTP Tracking API": 500 KB per batch, 32 KB per event) on
 * `fetch` alone, so it runs under `relay serve`, Workers and Lambda. A webhook must be answered
 * promptly, so unlike the poll's sender (src/relay/batch-sender.ts, which can back off for
 * minutes) retries here stop at a short deadline (retry.ts): the webhook then answers 503 and the
 * sender (Klaviyo, Shopify) delivers again later with the same messageIds.
 */
import type { SegmentTrackMessage } from '../shared/segment-message'

import { SEGMENT_REGION_HOSTS } from '../shared/segment-region'
import { retryAfterMs, retryUntilDeadline, sleep as defaultSleep } from './retry'

export { segmentHost } from '../shared/segment-region'

/** Default Segment API origin (US workspaces). */
const DEFAULT_SEGMENT_API_HOST = SEGMENT_REGION_HOSTS.us

const MAX_BATCH_BYTES = 475 * 1024
const MAX_EVENTS = 500

/** Segment did not accept a batch before the deadline. */
export class SegmentDeliveryFailed extends Error {
  /** HTTP status of Segment's last answer, when it answered. */
  readonly status?: number
  constructor(message: string, status?: number) {
    super(message)
    this.name = 'SegmentDeliveryFailed'
    this.status = status
  }
}

/** Options of {@link createSegmentDelivery}. */
export interface SegmentDeliveryOptions {
  writeKey: string
  /** Origin of the Tracking API; default https://api.segment.io. */
  host?: string
  /** Time allowed for one delivery including retries, ms. Default 10,000. */
  budgetMs?: number
  /** Injected for tests. */
  fetch?: typeof fetch
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** Sends messages; resolves once Segment accepted every batch, rejects with {@link SegmentDeliveryFailed} otherwise. */
export type SegmentDelivery = (messages: ReadonlyArray<SegmentTrackMessage<string, object>>) => Promise<void>

/** Build a Segment delivery function. */
export function createSegmentDelivery(options: SegmentDeliveryOptions): SegmentDelivery {
  const url = `${(options.host || DEFAULT_SEGMENT_API_HOST).replace(/\/+$/, '')}/v1/batch`
  const auth = `Basic ${btoa(`${options.writeKey}:`)}`
  const budget = options.budgetMs ?? 10_000
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? defaultSleep
  const encoder = new TextEncoder()

  async function post(events: string[], deadline: number): Promise<void> {
    const body = `{"batch":[${events.join(',')}],"sentAt":"${new Date(now()).toISOString()}"}`
    return retryUntilDeadline<void>(
      async (attempt) => {
        try {
          const res = await fetchFn(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: auth, 'user-agent': 'mailstitch-webhook', ...(attempt ? { 'x-retry-count': String(attempt) } : {}) },
            body,
            signal: AbortSignal.timeout(Math.max(1, deadline - now())),
          })
          await res.arrayBuffer().catch(() => undefined)
          if (res.ok) return { ok: true, value: undefined }
          const failure = new SegmentDeliveryFailed(`Segment answered ${res.status}`, res.status)
          return { ok: false, failure, retry: res.status === 408 || res.status === 429 || res.status >= 500, retryAfterMs: retryAfterMs(res.headers) }
        } catch (err) {
          return { ok: false, failure: new SegmentDeliveryFailed(`Segment unreachable: ${err instanceof Error ? err.message : String(err)}`), retry: true }
        }
      },
      { baseDelayMs: 200 },
      deadline,
      { now, sleep },
    )
  }

  return async (messages) => {
    if (!messages.length) return
    const deadline = now() + budget
    const batches: string[][] = []
    let current: string[] = []
    let bytes = 0
    for (const m of messages) {
      const json = JSON.stringify(m)
      const size = encoder.encode(json).byteLength + 1
      if (current.length && (current.length >= MAX_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
        batches.push(current)
        current = []
        bytes = 0
      }
      current.push(json)
      bytes += size
    }
    if (current.length) batches.push(current)
    const results = await Promise.allSettled(batches.map((b) => post(b, deadline)))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}
