/**
 * Sends relayed events to Segment with @segment/analytics-node and reports, per event, whether
 * Segment accepted it. analytics-node batches to `${host}/v1/batch`, retries 5xx/408/429 with
 * bounded exponential backoff, honours Retry-After, and marks each event delivered or failed.
 *
 * How acceptance is observed: analytics-node emits `track` with the event's context once its batch
 * got a 2xx, and `error` (code `delivery_failure`, with the context) once retries are exhausted or
 * the batch was refused. We match those on `messageId`. The per-call `callback` would tell us the
 * same, but analytics-core delays every callback to at least 300 ms after the call, which capped a
 * page-at-a-time relay at ~3,300 events/s in measurement; the emitter has no such delay.
 *
 * analytics-node always writes `context.library` = @segment/analytics-node (it overwrites ours in its
 * destination plugin), so the relay identifies itself in `context.integration`, the field Segment's
 * own cloud sources use for that purpose.
 */
import { Analytics, type TrackParams } from '@segment/analytics-node'
import { SegmentAuthError, SegmentDeliveryError, UnreachableHostError, networkErrorCode } from './errors'
import type { RelayTrackMessage } from './map'

/** Default Segment API origin. */
export const DEFAULT_SEGMENT_API_HOST = 'https://api.segment.io'

/** Options of {@link SegmentSink}. */
export interface SegmentSinkOptions {
  writeKey: string
  /** Origin of the Tracking API; `/v1/batch` is appended. Default https://api.segment.io. */
  host?: string
  /** Counted retries of a failing batch (5xx, network, 429 without Retry-After). Default 8 (~2 min of backoff). */
  maxRetries?: number
  /** Events per batch. Default 500 (the 480 KB size cap of analytics-node applies as well). */
  flushAt?: number
  /** How long a partly filled batch waits for more events, ms. Default 25. */
  flushIntervalMs?: number
  /** Per-request timeout, ms. Default 15 000. */
  httpRequestTimeoutMs?: number
  /** Stop waiting for an event's outcome after this long and count it failed, ms. Default 15 min. */
  ackTimeoutMs?: number
}

/** Outcome of one {@link SegmentSink.send} call. */
export interface SendResult {
  /** messageIds Segment accepted. */
  accepted: Set<string>
  /** Events Segment did not accept, with the reason. */
  failed: Array<{ messageId: string; reason: string }>
}

interface Waiter {
  resolve: (outcome: { ok: true } | { ok: false; reason: string }) => void
}

/** Sends track messages through analytics-node and resolves once Segment has answered for each. */
export class SegmentSink {
  readonly host: string
  private readonly analytics: Analytics
  private readonly pending = new Map<string, Waiter[]>()
  private readonly ackTimeoutMs: number
  private lastAuthStatus: number | undefined
  private closed = false

  constructor(options: SegmentSinkOptions) {
    this.host = (options.host || DEFAULT_SEGMENT_API_HOST).replace(/\/+$/, '')
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15 * 60_000
    this.analytics = new Analytics({
      writeKey: options.writeKey,
      host: this.host,
      path: '/v1/batch',
      flushAt: options.flushAt ?? 500,
      // Events arrive a page at a time, synchronously, so full batches leave at once; this only
      // bounds how long the tail of a page (or a small webhook) waits.
      flushInterval: options.flushIntervalMs ?? 25,
      maxRetries: options.maxRetries ?? 8,
      httpRequestTimeout: options.httpRequestTimeoutMs ?? 15_000,
    })
    this.analytics.on('track', (ctx) => {
      if (ctx.event.messageId) this.settle(ctx.event.messageId, { ok: true })
    })
    this.analytics.on('error', (err) => {
      const e = err as { code?: string; reason?: unknown; ctx?: { event?: { messageId?: string } } }
      const id = e.ctx?.event?.messageId
      if (id) this.settle(id, { ok: false, reason: describe(e.reason) })
    })
    // A 401/403 is final for every batch; remember it to raise a clear error instead of a generic failure.
    this.analytics.on('http_response', (r) => {
      if (r.status === 401 || r.status === 403) this.lastAuthStatus = r.status
      else if (r.status >= 200 && r.status < 300) this.lastAuthStatus = undefined
    })
  }

  /**
   * Send messages and wait until Segment accepted or finally refused each one.
   * Throws {@link SegmentAuthError} when Segment rejected the write key.
   */
  async send(messages: readonly RelayTrackMessage[]): Promise<SendResult> {
    if (this.closed) throw new Error('SegmentSink is closed')
    const result: SendResult = { accepted: new Set(), failed: [] }
    if (!messages.length) return result
    const outcomes = messages.map((m) => {
      const outcome = new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
        const list = this.pending.get(m.messageId)
        if (list) list.push({ resolve })
        else this.pending.set(m.messageId, [{ resolve }])
      })
      try {
        const params: Record<string, unknown> = {
          event: m.event,
          properties: { ...m.properties },
          context: m.context,
          timestamp: m.timestamp,
          messageId: m.messageId,
        }
        if (m.anonymousId !== undefined) params.anonymousId = m.anonymousId
        if (m.userId !== undefined) params.userId = m.userId
        if (m.integrations) params.integrations = m.integrations
        // Our message type guarantees an identity; TrackParams' union cannot see that through a spread.
        this.analytics.track(params as unknown as TrackParams)
      } catch (err) {
        // Validation errors are thrown synchronously (e.g. no user identity).
        this.settle(m.messageId, { ok: false, reason: describe(err) })
      }
      return outcome
    })
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.ackTimeoutMs)
      timer.unref?.()
    })
    const all = Promise.all(outcomes)
    const settled = await Promise.race([all, deadline])
    clearTimeout(timer)
    if (settled === 'timeout') {
      for (const m of messages) this.settle(m.messageId, { ok: false, reason: 'no answer from Segment in time' })
    }
    const final = await all
    final.forEach((o, i) => {
      const id = messages[i].messageId
      if (o.ok) result.accepted.add(id)
      else result.failed.push({ messageId: id, reason: o.reason })
    })
    if (result.failed.length && this.lastAuthStatus) throw new SegmentAuthError(this.lastAuthStatus)
    return result
  }

  /** Deliver what is queued (bounded by `timeoutMs`) and stop. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.analytics.closeAndFlush({ timeout: timeoutMs })
  }

  private settle(messageId: string, outcome: { ok: true } | { ok: false; reason: string }): void {
    const list = this.pending.get(messageId)
    const w = list?.shift()
    if (!w) return
    if (!list!.length) this.pending.delete(messageId)
    w.resolve(outcome)
  }
}

function describe(reason: unknown): string {
  const code = networkErrorCode(reason)
  if (code) return `network error ${code}`
  if (reason instanceof Error) return reason.message
  return String(reason)
}

/** The typed error for a send that left events unaccepted: unreachable host, or delivery failure. */
export function deliveryError(result: SendResult, host: string): Error {
  const reasons = result.failed.map((f) => f.reason)
  if (reasons.length && reasons.every((r) => r.startsWith('network error'))) {
    const code = reasons[0].slice('network error '.length)
    return new UnreachableHostError('Segment', host, Object.assign(new Error(code), { code }))
  }
  return new SegmentDeliveryError(result.failed.length, reasons[0] ?? 'unknown reason')
}
