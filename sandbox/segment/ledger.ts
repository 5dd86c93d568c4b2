/** What the collector has received: accepted events (deduplicated by messageId), rejections, the request log. */
import { randomUUID } from 'node:crypto'
import { isRecord } from '../http-util'
import { rejectionReason } from './rules'
import type { CollectorRequest, RejectedEvent, SegmentEvent, SegmentEventListener, SegmentEventType } from './types'

/** The collector's memory; {@link EventLedger.reset} forgets all of it but keeps the listeners. */
export class EventLedger {
  /** Accepted events, oldest first. */
  events: SegmentEvent[] = []
  /** Events Segment would drop, with the reason. */
  rejected: RejectedEvent[] = []
  /** Events dropped as repeats of a messageId already accepted. */
  duplicates = 0
  /** Tracking requests received. */
  requestCount = 0
  /** Every tracking request with its outcome. */
  log: CollectorRequest[] = []
  private seen = new Set<string>()
  private readonly listeners = new Set<SegmentEventListener>()

  /** Store one event unless Segment would drop it or it repeats a messageId. */
  accept(raw: Record<string, unknown>, type: SegmentEventType, reqPath: string, batchDefaults: Record<string, unknown>): 'accepted' | 'duplicate' | 'rejected' {
    const receivedAt = new Date().toISOString()
    const reason = rejectionReason(raw, type)
    if (reason) {
      this.rejected.push({ reason, event: raw, path: reqPath, receivedAt })
      return 'rejected'
    }
    const messageId = typeof raw.messageId === 'string' && raw.messageId ? raw.messageId : `api-${randomUUID()}`
    if (this.seen.has(messageId)) {
      this.duplicates++
      return 'duplicate'
    }
    this.seen.add(messageId)
    const ev: SegmentEvent = { ...raw, type, messageId, receivedAt }
    // Batch-level context/integrations/sentAt apply to every event in the batch (HTTP API rule).
    if (isRecord(batchDefaults.context)) ev.context = { ...batchDefaults.context, ...(isRecord(raw.context) ? raw.context : {}) }
    if (isRecord(batchDefaults.integrations)) {
      ev.integrations = { ...batchDefaults.integrations, ...(isRecord(raw.integrations) ? raw.integrations : {}) }
    }
    if (ev.sentAt === undefined && typeof batchDefaults.sentAt === 'string') ev.sentAt = batchDefaults.sentAt
    this.events.push(ev)
    for (const cb of [...this.listeners]) {
      try {
        cb(ev)
      } catch {
        // A throwing test listener must not break ingestion.
      }
    }
    return 'accepted'
  }

  /** Call `cb` for each accepted event; returns an unsubscribe function. */
  subscribe(cb: SegmentEventListener): () => void {
    this.listeners.add(cb)
    return () => {
      this.listeners.delete(cb)
    }
  }

  /** Forget events, rejections, duplicates and the request log. */
  reset(): void {
    this.events = []
    this.rejected = []
    this.seen = new Set()
    this.duplicates = 0
    this.requestCount = 0
    this.log = []
  }
}
