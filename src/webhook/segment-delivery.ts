/**
 * The one delivery to Segment's HTTP Tracking API (`POST {host}/v1/batch`, HTTP Basic auth with the
 * write key), on `fetch` alone, for every runtime: `relay poll` (through src/relay/segment-sink.ts),
 * `relay serve`, the Cloudflare Worker and the Lambda handler. Callers hand over messages and get
 * each one's fate back; they never see HTTP (as analytics-node's publisher does it).
 *
 * Segment's rules (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/,
 * "Max request size" and "Errors"): 32 KB an event, 500 KB a request, 400 for either; 200 for
 * everything else it takes. So:
 * - every event is fitted to 32 KB first (../shared/segment-fit.ts: long text cut, `truncated: true`);
 *   one that cannot be fitted is refused here, never sent;
 * - batches stay under 500 events and 475 KB;
 * - 408, 429, 5xx and network errors are retried (retry.ts: one policy, one Retry-After rule)
 *   within the caller's limits; what is still not accepted is `failed`, for the caller to send
 *   again later (the poll's cursor stays, a webhook answers 503);
 * - any other 4xx is final for the request: a batch is split in halves and each half sent again,
 *   down to the single event Segment refuses, so one bad event never holds back the others, and
 *   never blocks a stream by being retried forever. It is reported as `refused`;
 * - 401/403 (a write key Segment rejects, through a proxy that checks it) is `failed`, with `authFailure`.
 *
 * Why not @segment/analytics-node (the relay used it first, see git history): it computes each
 * event's size by splitting an encoded copy into hundreds of strings (a third of the relay's CPU
 * went to garbage collection), holds back each event's callback for 300 ms, and overwrites
 * `context.library`. Here each event is serialised once and that text is the request body.
 */
import { SEGMENT_MAX_BATCH_BYTES, fitEvent } from '../shared/segment-fit'
import { SEGMENT_REGION_HOSTS } from '../shared/segment-region'
import { retryAfterMs, retryUntilDeadline, sleep as defaultSleep, type DeadlineRetryPolicy } from './retry'

export { segmentHost } from '../shared/segment-region'

/** Default Segment API origin (US workspaces). */
export const DEFAULT_SEGMENT_API_HOST = SEGMENT_REGION_HOSTS.us

/** A little headroom under Segment's 500 KB for the envelope (`{"batch":[…],"sentAt":…}`). */
const MAX_BATCH_BYTES = SEGMENT_MAX_BATCH_BYTES - 25 * 1024
const MAX_EVENTS = 500

/** Segment did not accept every message before the deadline. */
export class SegmentDeliveryFailed extends Error {
  /** HTTP status of Segment's last answer, when it answered. */
  readonly status?: number
  /** The full report: what was accepted, refused and failed. */
  readonly report?: DeliveryReport
  constructor(message: string, status?: number, report?: DeliveryReport) {
    super(message)
    this.name = 'SegmentDeliveryFailed'
    this.status = status
    this.report = report
  }
}

/** Options of {@link createSegmentPublisher} and {@link createSegmentDelivery}. */
export interface SegmentDeliveryOptions {
  writeKey: string
  /** Origin of the Tracking API; default https://api.segment.io. */
  host?: string
  /** Time allowed for one delivery including retries, ms. Default 10,000 (a webhook's); `Infinity` for none. */
  budgetMs?: number
  /** Attempts per request in all. Default: as many as the budget allows. */
  maxAttempts?: number
  /** First retry delay, ms (doubled, ±50 % jitter, at most 60 s). Default 200. */
  baseDelayMs?: number
  /** Events per request (at most 500). Default 500. */
  maxEvents?: number
  /** Requests in flight at once. Default 4. */
  concurrency?: number
  /** Per-request time-out, ms. Default 15,000 (and never past the budget). */
  timeoutMs?: number
  /** Aborts retry waits (a stopping relay): what is not accepted then is `failed`. */
  signal?: AbortSignal
  /** `user-agent` header. Default `mailstitch-relay`. */
  userAgent?: string
  /** Injected for tests. */
  fetch?: typeof fetch
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** One message's fate when Segment did not take it. */
export interface DeliveryProblem {
  messageId: string
  reason: string
  /** Segment's HTTP status, when it answered. */
  status?: number
}

/** What became of each message of one delivery. */
export interface DeliveryReport {
  /** messageIds Segment accepted (2xx). */
  accepted: string[]
  /** Final: Segment refused the event on its own (a 4xx other than 408/429), or it cannot be fitted to 32 KB. Never worth sending again. */
  refused: DeliveryProblem[]
  /** Not accepted within the limits (outage, throttling, network, auth): send again later. */
  failed: DeliveryProblem[]
  /** messageIds sent with text properties cut to fit 32 KB (`properties.truncated: true`). */
  truncated: string[]
  /** 401 or 403 when Segment rejected the write key. */
  authFailure?: number
}

/** A message as the delivery takes it: any Segment call with a messageId. */
export interface DeliverableMessage {
  messageId: string
}

/** Sends messages and reports each one's fate; never rejects. */
export type SegmentPublisher = (messages: readonly DeliverableMessage[]) => Promise<DeliveryReport>

/** Sends messages; resolves once Segment accepted or refused each one, rejects with {@link SegmentDeliveryFailed} when any is still `failed`. */
export type SegmentDelivery = (messages: readonly DeliverableMessage[]) => Promise<DeliveryReport | void>

interface Encoded {
  messageId: string
  json: string
  bytes: number
}

type PostOutcome = { kind: 'accepted' } | { kind: 'refused' | 'failed'; reason: string; status?: number }

/** Build the publisher: see the module comment for what it does with each answer. */
export function createSegmentPublisher(options: SegmentDeliveryOptions): SegmentPublisher {
  const url = `${(options.host || DEFAULT_SEGMENT_API_HOST).replace(/\/+$/, '')}/v1/batch`
  const auth = `Basic ${btoa(`${options.writeKey}:`)}`
  const budget = options.budgetMs ?? 10_000
  const maxEvents = Math.min(MAX_EVENTS, Math.max(1, options.maxEvents ?? MAX_EVENTS))
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const timeoutMs = options.timeoutMs ?? 15_000
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now ?? Date.now
  const clock = { now, sleep: options.sleep ?? defaultSleep }
  const policy: DeadlineRetryPolicy = { baseDelayMs: options.baseDelayMs ?? 200, maxDelayMs: 60_000, maxAttempts: options.maxAttempts, jitter: true }
  const userAgent = options.userAgent ?? 'mailstitch-relay'

  /** POST one batch, retrying what may get better; the outcome of its last attempt. */
  async function post(batch: Encoded[], deadline: number): Promise<PostOutcome> {
    const body = `{"batch":[${batch.map((e) => e.json).join(',')}],"sentAt":"${new Date(now()).toISOString()}"}`
    try {
      return await retryUntilDeadline<PostOutcome>(
        async (attempt) => {
          try {
            const res = await fetchFn(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: auth, 'user-agent': userAgent, ...(attempt ? { 'x-retry-count': String(attempt) } : {}) },
              body,
              signal: AbortSignal.timeout(Math.max(1, Math.ceil(Math.min(timeoutMs, deadline - now())))),
            })
            // Drain the body so the keep-alive connection is reused.
            const text = await res.text().catch(() => '')
            if (res.ok) return { ok: true, value: { kind: 'accepted' } }
            const reason = `Segment answered ${res.status}${segmentMessage(text)}`
            const retry = res.status === 408 || res.status === 429 || res.status >= 500
            if (retry || res.status === 401 || res.status === 403) {
              return { ok: false, failure: new SegmentDeliveryFailed(reason, res.status), retry, retryAfterMs: retry ? retryAfterMs(res.headers, now()) : undefined }
            }
            return { ok: true, value: { kind: 'refused', reason, status: res.status } }
          } catch (err) {
            return { ok: false, failure: new SegmentDeliveryFailed(`Segment unreachable: ${networkProblem(err)}`), retry: true }
          }
        },
        policy,
        deadline,
        clock,
        options.signal,
      )
    } catch (err) {
      const failure = err instanceof SegmentDeliveryFailed ? err : new SegmentDeliveryFailed(String(err))
      return { kind: 'failed', reason: failure.message, status: failure.status }
    }
  }

  return async (messages) => {
    const report: DeliveryReport = { accepted: [], refused: [], failed: [], truncated: [] }
    if (!messages.length) return report
    const deadline = now() + budget
    const batches: Encoded[][] = []
    let current: Encoded[] = []
    let bytes = 0
    for (const m of messages) {
      const fit = fitEvent(m)
      if (!fit.ok) {
        report.refused.push({ messageId: m.messageId, reason: `event is ${fit.bytes} bytes even with its text properties cut; Segment takes at most 32 KB an event` })
        continue
      }
      if (fit.truncated) report.truncated.push(m.messageId)
      const size = fit.bytes + 1
      if (current.length && (current.length >= maxEvents || bytes + size > MAX_BATCH_BYTES)) {
        batches.push(current)
        current = []
        bytes = 0
      }
      current.push({ messageId: m.messageId, json: fit.json, bytes: fit.bytes })
      bytes += size
    }
    if (current.length) batches.push(current)

    /** Send a batch; on a refusal split it, so only the event Segment refuses is left out. */
    const send = async (batch: Encoded[]): Promise<void> => {
      const out = await post(batch, deadline)
      if (out.kind === 'accepted') {
        for (const e of batch) report.accepted.push(e.messageId)
      } else if (out.kind === 'refused' && batch.length > 1) {
        const half = Math.ceil(batch.length / 2)
        await send(batch.slice(0, half))
        await send(batch.slice(half))
      } else {
        if (out.status === 401 || out.status === 403) report.authFailure = out.status
        const into = out.kind === 'refused' ? report.refused : report.failed
        for (const e of batch) into.push({ messageId: e.messageId, reason: out.reason, status: out.status })
      }
    }
    let next = 0
    const worker = async () => {
      while (next < batches.length) await send(batches[next++])
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker))
    return report
  }
}

/** Build a delivery that rejects with {@link SegmentDeliveryFailed} when any message is still `failed` (a webhook then answers 503). */
export function createSegmentDelivery(options: SegmentDeliveryOptions): SegmentDelivery {
  const publish = createSegmentPublisher({ userAgent: 'mailstitch-webhook', ...options })
  return async (messages) => {
    const report = await publish(messages)
    if (report.failed.length) {
      const first = report.failed[0]
      throw new SegmentDeliveryFailed(`${first.reason} (${report.failed.length} event(s) not accepted)`, first.status, report)
    }
    return report
  }
}

/** Segment's own words from an error body (`{"message": …}`), short, for the log line. */
function segmentMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown }
    if (typeof body?.message === 'string' && body.message) return `: ${body.message.slice(0, 200)}`
  } catch {
    // not JSON: the status says enough
  }
  return ''
}

/** The network error's code (fetch wraps it: `TypeError('fetch failed', { cause: { code } })`), else its message. */
function networkProblem(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code) return code
    if ((e as { name?: unknown }).name === 'TimeoutError') return 'ETIMEDOUT'
    e = (e as { cause?: unknown }).cause
  }
  return err instanceof Error ? err.message : String(err)
}
