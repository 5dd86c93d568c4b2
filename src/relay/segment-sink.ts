/**
 * The poll's side of the one Segment delivery (../webhook/segment-delivery.ts, the same code
 * `relay serve`, the Worker and the Lambda handler run): sends relayed track messages and reports,
 * per message, whether Segment accepted it, refused it for good, or is still to be asked again.
 * A message counts as accepted only when the `/v1/batch` request carrying it got a 2xx; the poller
 * moves its cursor on that, and past a refused event (reported, never retried forever), nothing else.
 * Unlike a webhook the poll has no deadline: it retries a failing request up to `maxRetries` times.
 */
import { DEFAULT_SEGMENT_API_HOST, createSegmentPublisher, type DeliveryProblem, type SegmentPublisher } from '../webhook/segment-delivery'
import { SegmentAuthError, SegmentDeliveryError, UnreachableHostError } from './errors'
import type { RelayTrackMessage } from '../shared/klaviyo-map'

export { DEFAULT_SEGMENT_API_HOST }

/** Options of {@link SegmentSink}. */
export interface SegmentSinkOptions {
  writeKey: string
  /** Origin of the Tracking API; `/v1/batch` is appended. Default https://api.segment.io. */
  host?: string
  /** Events per request. Default 500. */
  maxEvents?: number
  /** Requests in flight at once. Default 4. */
  concurrency?: number
  /** Retries of a failing request (5xx, 408, 429, network). Default 8 (about 2 minutes of backoff). */
  maxRetries?: number
  /** First backoff in ms (doubled per retry, ±50% jitter, capped at 60 s). Default 500. */
  baseDelayMs?: number
  /** Per-request timeout in ms. Default 15 000. */
  timeoutMs?: number
  /** The fetch requests go through (the Worker's pass counts its subrequests); default the global one. */
  fetch?: typeof fetch
}

/** Outcome of one {@link SegmentSink.send} call. */
export interface SendResult {
  /** messageIds Segment accepted. */
  accepted: Set<string>
  /** Messages Segment did not accept, with the reason; sent again by the next poll. */
  failed: DeliveryProblem[]
  /** Messages Segment refused for good (or too large to fit 32 KB); the poll moves past them and reports them. */
  refused?: DeliveryProblem[]
  /** messageIds sent with text properties cut to fit Segment's 32 KB. */
  truncated?: string[]
}

/** Sends track messages to Segment's `/v1/batch` and resolves once Segment answered for each. */
export class SegmentSink {
  readonly host: string
  private readonly publish: SegmentPublisher
  private readonly abort = new AbortController()

  constructor(options: SegmentSinkOptions) {
    this.host = (options.host || DEFAULT_SEGMENT_API_HOST).replace(/\/+$/, '')
    this.publish = createSegmentPublisher({
      writeKey: options.writeKey,
      host: this.host,
      budgetMs: Infinity,
      maxAttempts: (options.maxRetries ?? 8) + 1,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxEvents: options.maxEvents,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
      signal: this.abort.signal,
    })
  }

  /**
   * Send messages and wait until Segment accepted, refused or finally failed each one.
   * Throws {@link SegmentAuthError} when Segment rejected the write key.
   */
  async send(messages: readonly RelayTrackMessage[]): Promise<SendResult> {
    if (!messages.length) return { accepted: new Set(), failed: [], refused: [], truncated: [] }
    const report = await this.publish(messages)
    if (report.authFailure !== undefined && report.failed.length) throw new SegmentAuthError(report.authFailure)
    return { accepted: new Set(report.accepted), failed: report.failed, refused: report.refused, truncated: report.truncated }
  }

  /** Cut short any backoff wait still pending (requests in flight are not interrupted). */
  async close(): Promise<void> {
    this.abort.abort()
  }
}

/** The typed error for a send that left messages unaccepted: unreachable host, or delivery failure. */
export function deliveryError(result: SendResult, host: string): Error {
  const reasons = result.failed.map((f) => f.reason)
  if (reasons.length && reasons.every((r) => r.startsWith('Segment unreachable'))) {
    const detail = reasons[0].slice('Segment unreachable: '.length)
    return new UnreachableHostError('Segment', host, Object.assign(new Error(detail), { code: networkCode(detail) }))
  }
  return new SegmentDeliveryError(result.failed.length, reasons[0] ?? 'unknown reason')
}

function networkCode(detail: string): string {
  return /\b(E[A-Z_]+|UND_ERR_[A-Z_]+)\b/.exec(detail)?.[1] ?? (/timeout|aborted/i.test(detail) ? 'ETIMEDOUT' : 'ECONNREFUSED')
}
