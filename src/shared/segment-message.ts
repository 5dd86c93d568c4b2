/**
 * The Segment `track` message every server-side path sends (Klaviyo email events from the relay,
 * Shopify orders from the webhook and the web pixel), as Segment's HTTP API takes it in /v1/batch.
 * https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#track
 */
export interface SegmentTrackMessage<Event extends string = string, Properties extends object = Record<string, unknown>> {
  type: 'track'
  event: Event
  /** The visitor's bridge id (or a fallback key; at least one of anonymousId and userId is set). */
  anonymousId?: string
  userId?: string
  /** Deterministic per source record, so a re-send is deduplicated by Segment. */
  messageId: string
  /** When it happened, ISO 8601. */
  timestamp: string
  properties: Properties
  context: {
    traits?: { email?: string; [key: string]: unknown }
    /** Which library produced the event. */
    library: { name: string; version: string }
  }
  /** Destination filter. */
  integrations?: Record<string, boolean>
}
