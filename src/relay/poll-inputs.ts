/**
 * What the poll loop (poll.ts) reads, with no client attached: the email metrics and the pages of
 * one metric's events. Pure ES with no Node API and no klaviyo-api, so the CLI's klaviyo-api source
 * (klaviyo-source.ts, metrics.ts) and the Worker's fetch source (src/webhook/klaviyo-event-pages.ts)
 * share these shapes, the filter's time format and the metric selection.
 */
import type { KlaviyoEventLike, KlaviyoProfileLike, RelayEventName, RelayedMetricName } from '../shared/klaviyo-map'
import { METRIC_TO_EVENT, isRelayedMetric, relayedMetricNames } from '../shared/klaviyo-map'
import { UnknownMetricError } from './errors'

/** A Klaviyo metric the relay polls. */
export interface EmailMetric {
  id: string
  name: RelayedMetricName
  segmentEvent: RelayEventName
}

/** One event with its profile. */
export interface SourceEvent {
  event: KlaviyoEventLike
  profile?: KlaviyoProfileLike
}

/** One page of a metric's events. */
export interface EventPage {
  events: SourceEvent[]
  /** Cursor of the next page; undefined on the last page. */
  nextCursor?: string
}

/** What to read. */
export interface WindowQuery {
  metricId: string
  /** Inclusive start, epoch ms. */
  startMs: number
  /** Exclusive end, epoch ms. */
  endMs: number
  /** Resume inside the window at this page cursor. */
  cursor?: string
}

/** Klaviyo filter time: ISO 8601 to the second (Klaviyo datetimes have no sub-second part). */
export function filterTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** Get Events' `filter` for one metric's window: [startMs, endMs). */
export function windowFilter(query: WindowQuery): string {
  return `equals(metric_id,"${query.metricId}"),greater-or-equal(datetime,${filterTime(query.startMs)}),less-than(datetime,${filterTime(query.endMs)})`
}

/**
 * Keep the listed Klaviyo metrics the relay forwards (only `Unsubscribed from Email Marketing` when
 * the account has both unsubscribe metrics). Throws {@link UnknownMetricError} when none is there.
 */
export function pickEmailMetrics(listed: ReadonlyArray<{ id: string; name: unknown }>): EmailMetric[] {
  const found: EmailMetric[] = []
  const otherNames: string[] = []
  for (const m of listed) {
    if (typeof m.name !== 'string') continue
    if (isRelayedMetric(m.name)) found.push({ id: m.id, name: m.name, segmentEvent: METRIC_TO_EVENT[m.name] })
    else otherNames.push(m.name)
  }
  if (!found.length) throw new UnknownMetricError(Object.keys(METRIC_TO_EVENT), otherNames)
  const keep = new Set(relayedMetricNames(found.map((m) => m.name)))
  return found.filter((m) => keep.has(m.name))
}
