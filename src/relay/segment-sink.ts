/**
 * Sends relayed track messages to Segment and reports, per message, whether Segment accepted it.
 * A message counts as accepted only when the `/v1/batch` request carrying it got a 2xx; the
 * poller moves its cursor on that and nothing else. See batch-sender.ts for the wire protocol,
 * the retry policy, and why this is not @segment/analytics-node.
 */
import { BatchSender } from './batch-sender'
import { SegmentDeliveryError, UnreachableHostError } from './errors'
import type { RelayTrackMessage } from '../shared/klaviyo-map'

/** Default Segment API origin. */
export const DEFAULT_SEGMENT_API_HOST = 'https://api.segment.io'

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
}

/** Outcome of one {@link SegmentSink.send} call. */
export interface SendResult {
  /** messageIds Segment accepted. */
  accepted: Set<string>
  /** Messages Segment did not accept, with the reason. */
  failed: Array<{ messageId: string; reason: string }>
}

/** Sends track messages to Segment's `/v1/batch` and resolves once Segment answered for each. */
export class SegmentSink {
  readonly host: string
  private readonly sender: BatchSender
  private readonly abort = new AbortController()

  constructor(options: SegmentSinkOptions) {
    this.host = (options.host || DEFAULT_SEGMENT_API_HOST).replace(/\/+$/, '')
    this.sender = new BatchSender({
      writeKey: options.writeKey,
      host: this.host,
      maxEvents: options.maxEvents,
      concurrency: options.concurrency,
      maxRetries: options.maxRetries,
      baseDelayMs: options.baseDelayMs,
      timeoutMs: options.timeoutMs,
      signal: this.abort.signal,
    })
  }

  /**
   * Send messages and wait until Segment accepted or finally refused each one.
   * Throws {@link SegmentAuthError} when Segment rejected the write key.
   */
  async send(messages: readonly RelayTrackMessage[]): Promise<SendResult> {
    if (!messages.length) return { accepted: new Set(), failed: [] }
    // Each message is serialised once; the batch body is built by joining these strings.
    const encoded = messages.map((m) => ({ messageId: m.messageId, json: JSON.stringify(m) }))
    const out = await this.sender.sendAll(encoded)
    return { accepted: new Set(out.accepted), failed: out.failed }
  }

  /** Cut short any backoff wait still pending (requests in flight are not interrupted). */
  async close(): Promise<void> {
    this.abort.abort()
  }
}

/** The typed error for a send that left messages unaccepted: unreachable host, or delivery failure. */
export function deliveryError(result: SendResult, host: string): Error {
  const reasons = result.failed.map((f) => f.reason)
  if (reasons.length && reasons.every((r) => r.startsWith('network error'))) {
    const code = reasons[0].slice('network error '.length)
    return new UnreachableHostError('Segment', host, Object.assign(new Error(code), { code }))
  }
  return new SegmentDeliveryError(result.failed.length, reasons[0] ?? 'unknown reason')
}
