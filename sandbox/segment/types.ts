/** What the collector stores and reports: events, rejections, request log, options. */
import type { FaultSpec, ListenOptions, RunningServer } from '../http-util'

/** The six Segment spec call types. */
export type SegmentEventType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias'

/** One accepted event, as sent, plus what the collector adds (`receivedAt`, normalised `type`). */
export interface SegmentEvent {
  type: SegmentEventType
  /** Sender's id, or `api-<uuid>` when the sender gave none (as Segment fills it in). */
  messageId: string
  /** ISO time the collector accepted the event. */
  receivedAt: string
  userId?: string | null
  anonymousId?: string | null
  /** Track event name. */
  event?: string
  /** Page/screen name. */
  name?: string
  traits?: Record<string, unknown>
  properties?: Record<string, unknown>
  context?: Record<string, unknown>
  integrations?: Record<string, unknown>
  timestamp?: string
  sentAt?: string
  writeKey?: string
  previousId?: string
  groupId?: string
  [key: string]: unknown
}

/** An event Segment would have dropped (answering 200 for the request anyway). */
export interface RejectedEvent {
  /** Machine-readable reason, e.g. `missing_user_id_and_anonymous_id`. */
  reason: string
  /** The event as received. */
  event: unknown
  /** Request path it came in on. */
  path: string
  /** ISO time it was received. */
  receivedAt: string
}

/** One tracking request as the collector saw it (including failed ones). */
export interface CollectorRequest {
  method: string
  path: string
  /** Status the collector answered. */
  status: number
  /** Write key the request authenticated with, if any. */
  writeKey?: string
  /** Events in the body that were accepted (not rejected, not duplicates). */
  accepted: number
  /** Value of `X-Retry-Count` (analytics-next / analytics-node retries), 0 if absent. */
  retryCount: number
  contentType?: string
  at: string
}

/** Options for {@link startSegmentCollector}. */
export interface SegmentCollectorOptions extends ListenOptions {
  /** Accepted write keys; undefined accepts any non-empty key. */
  writeKeys?: string[]
  /** Append every accepted event as one JSON line to this file. */
  jsonlPath?: string
  /**
   * Force the `apiHost` handed out in CDN settings (e.g. `'127.0.0.1:4000/v1'`). By default it
   * follows the Host header the page used, so `localhost` and `127.0.0.1` pages both work.
   */
  apiHost?: string
  /** How injected latency is waited (default: a timer); tests pass their own to observe it. */
  wait?: (ms: number) => Promise<void>
}

/** Listener for accepted events. */
export type SegmentEventListener = (event: SegmentEvent) => void

/** A running collector (see {@link startSegmentCollector}). */
export interface SegmentCollector extends RunningServer {
  /** Accepted events, oldest first (a copy). */
  events(): SegmentEvent[]
  /** Events Segment would have dropped. */
  rejected(): RejectedEvent[]
  /** How many events repeated an already accepted `messageId`. */
  duplicates(): number
  /** Tracking requests received, including failed and faulted ones. */
  requests(): number
  /** Per-request log of tracking requests. */
  requestLog(): CollectorRequest[]
  /** Resolve with the first event (past or future) matching `predicate`; reject after `timeoutMs`. */
  waitFor(predicate: (e: SegmentEvent) => boolean, timeoutMs?: number): Promise<SegmentEvent>
  /** Forget all events, rejections, counters, faults and latency. */
  reset(): void
  /** Make the next `count` tracking requests fail with `status` (and `Retry-After`). */
  setFault(spec: FaultSpec): void
  /** Cancel a pending fault. */
  clearFault(): void
  /** Delay every tracking response by `ms`. */
  setLatency(ms: number): void
  /** Call `cb` for each accepted event; returns an unsubscribe function. */
  subscribe(cb: SegmentEventListener): () => void
  /** Same as {@link SegmentCollector.subscribe}, EventEmitter-style. */
  on(name: 'event', cb: SegmentEventListener): () => void
}
