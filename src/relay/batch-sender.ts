/**
 * A small Segment HTTP Tracking API client: POST `${host}/v1/batch`, Basic auth with the write key,
 * bounded exponential backoff on 5xx/408/429/network errors (Retry-After honoured), and an exact
 * answer per batch: accepted (2xx) or failed with the reason.
 *
 * Why not @segment/analytics-node (which the relay used first, see git history):
 * - measured on one core against a counting /v1/batch sink, the relay reached ~7,500 events/s with
 *   it and a third of the CPU went to garbage collection: analytics-node runs every event through
 *   its plugin queue and computes each event's size with
 *   `encodeURI(JSON.stringify(event)).split(/%..|i/).length`, an array of hundreds of strings per
 *   event; here each event is serialised once and that string is reused for the request body;
 * - its per-call callback, the documented way to learn an event's fate, is held back at least
 *   300 ms after the call by analytics-core (`dispatch` → `invokeCallback` delay), so a relay
 *   that waits for Segment before saving its cursor stalls on it;
 * - it overwrites `context.library` with its own name, so events could not say they came from
 *   mailstitch.
 * The wire format and retry rules below follow Segment's HTTP API documentation and what
 * analytics-node itself does (500 KB per request, 32 KB per event, X-Retry-Count, no retry of 400).
 */
import { SegmentAuthError, networkErrorCode } from './errors'
import { retryWithBackoff } from './retry'

/** Segment's limits for `/v1/batch`, with a little headroom under 500 KB for the envelope. */
const MAX_BATCH_BYTES = 475 * 1024
const MAX_EVENT_BYTES = 32 * 1024
const MAX_RETRY_AFTER_SECONDS = 300

/** Options of {@link BatchSender}. */
export interface BatchSenderOptions {
  writeKey: string
  /** Origin of the Tracking API; `/v1/batch` is appended. */
  host: string
  /** Events per request. Default 500. */
  maxEvents?: number
  /** Requests in flight at once. Default 4. */
  concurrency?: number
  /** Retries of a failing request (5xx, 408, 429, network). Default 8 (about 2 minutes of backoff). */
  maxRetries?: number
  /** First backoff in ms, doubled per retry with ±50% jitter, capped at 60 s. Default 500. */
  baseDelayMs?: number
  /** Per-request timeout in ms. Default 15 000. */
  timeoutMs?: number
  /** Aborts backoff waits (shutdown): the batch then fails and is retried by the next run. */
  signal?: AbortSignal
}

/** One event ready to send: its messageId and its JSON text. */
export interface EncodedEvent {
  messageId: string
  json: string
}

/** Outcome of {@link BatchSender.sendAll}. */
export interface BatchOutcome {
  accepted: string[]
  failed: Array<{ messageId: string; reason: string }>
}

/** Sends encoded events in `/v1/batch` requests and reports each one's fate. */
export class BatchSender {
  private readonly url: string
  private readonly auth: string
  private readonly o: Required<Omit<BatchSenderOptions, 'signal' | 'writeKey' | 'host'>> & { signal?: AbortSignal }
  private authFailure: number | undefined

  constructor(options: BatchSenderOptions) {
    this.url = `${options.host.replace(/\/+$/, '')}/v1/batch`
    this.auth = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`
    this.o = {
      maxEvents: options.maxEvents ?? 500,
      concurrency: options.concurrency ?? 4,
      maxRetries: options.maxRetries ?? 8,
      baseDelayMs: options.baseDelayMs ?? 500,
      timeoutMs: options.timeoutMs ?? 15_000,
      signal: options.signal,
    }
  }

  /** Split into batches, send them (a few at a time), and resolve once every batch has an answer. */
  async sendAll(events: readonly EncodedEvent[]): Promise<BatchOutcome> {
    const out: BatchOutcome = { accepted: [], failed: [] }
    const batches: EncodedEvent[][] = []
    let current: EncodedEvent[] = []
    let bytes = 0
    for (const e of events) {
      const size = Buffer.byteLength(e.json)
      if (size > MAX_EVENT_BYTES) {
        out.failed.push({ messageId: e.messageId, reason: `event larger than ${MAX_EVENT_BYTES} bytes` })
        continue
      }
      if (current.length && (current.length >= this.o.maxEvents || bytes + size + 1 > MAX_BATCH_BYTES)) {
        batches.push(current)
        current = []
        bytes = 0
      }
      current.push(e)
      bytes += size + 1
    }
    if (current.length) batches.push(current)

    let next = 0
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]
        const reason = await this.post(batch)
        if (reason === null) for (const e of batch) out.accepted.push(e.messageId)
        else for (const e of batch) out.failed.push({ messageId: e.messageId, reason })
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, batches.length) }, worker))
    if (this.authFailure !== undefined && out.failed.length) throw new SegmentAuthError(this.authFailure)
    return out
  }

  /** POST one batch with retries; null when accepted, else the reason it finally failed. */
  private async post(batch: EncodedEvent[]): Promise<string | null> {
    let body = '{"batch":['
    for (let i = 0; i < batch.length; i++) body += (i ? ',' : '') + batch[i].json
    body += `],"sentAt":"${new Date().toISOString()}"}`
    const policy = { retries: this.o.maxRetries, baseDelayMs: this.o.baseDelayMs, maxDelayMs: 60_000, jitter: true }
    return retryWithBackoff<string | null>(async (attempt) => {
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: this.auth,
            'user-agent': 'mailstitch-relay',
            ...(attempt ? { 'x-retry-count': String(attempt) } : {}),
          },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        })
        // Drain the body so the keep-alive connection is reused.
        await res.arrayBuffer().catch(() => undefined)
        if (res.status >= 200 && res.status < 300) {
          this.authFailure = undefined
          return { value: null, retry: false }
        }
        const reason = `[${res.status}] ${res.statusText || 'HTTP error'}`
        if (res.status === 401 || res.status === 403) {
          this.authFailure = res.status
          return { value: reason, retry: false }
        }
        const retriable = res.status === 408 || res.status === 429 || (res.status >= 500 && res.status !== 501 && res.status !== 505)
        const ra = Number(res.headers.get('retry-after'))
        const retryAfterMs = res.status === 429 && res.headers.has('retry-after') && Number.isFinite(ra) && ra >= 0 ? Math.min(ra, MAX_RETRY_AFTER_SECONDS) * 1000 : undefined
        return { value: reason, retry: retriable, retryAfterMs }
      } catch (err) {
        const code = networkErrorCode(err) ?? ((err as Error).name === 'TimeoutError' ? 'ETIMEDOUT' : undefined)
        return { value: code ? `network error ${code}` : `network error ${(err as Error).message}`, retry: true }
      }
    }, policy, this.o.signal)
  }
}
