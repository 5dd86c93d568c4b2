/**
 * Klaviyo email event + profile → Segment `track` message, per the "Relay" table of CONTRACT.md.
 * Pure: no I/O, no clock. Accepts both the camelCase objects the klaviyo-api SDK returns and the
 * snake_case JSON:API objects Klaviyo puts into webhook payloads.
 */
import { RELAY_NAME, version as RELAY_VERSION } from './version'
import { scan } from './url'
import type { SegmentTrackMessage } from './segment-message'

/** Klaviyo metric name → Segment event name (Segment's email spec). Metrics not listed are ignored. */
export const METRIC_TO_EVENT = {
  'Received Email': 'Email Delivered',
  'Opened Email': 'Email Opened',
  'Clicked Email': 'Email Link Clicked',
  'Bounced Email': 'Email Bounced',
  'Marked Email as Spam': 'Email Marked as Spam',
  Unsubscribed: 'Unsubscribed',
  'Unsubscribed from Email Marketing': 'Unsubscribed',
} as const

/** A Klaviyo metric name the relay forwards. */
export type RelayedMetricName = keyof typeof METRIC_TO_EVENT
/** A Segment event name the relay emits. */
export type RelayEventName = (typeof METRIC_TO_EVENT)[RelayedMetricName]

/** Klaviyo system-webhook topic → metric name. `email_delivered` is a documented alias of received_email. */
export const WEBHOOK_TOPIC_TO_METRIC: Readonly<Record<string, RelayedMetricName>> = {
  'event:klaviyo.received_email': 'Received Email',
  'event:klaviyo.email_delivered': 'Received Email',
  'event:klaviyo.opened_email': 'Opened Email',
  'event:klaviyo.clicked_email': 'Clicked Email',
  'event:klaviyo.bounced_email': 'Bounced Email',
  'event:klaviyo.marked_email_as_spam': 'Marked Email as Spam',
  'event:klaviyo.unsubscribed': 'Unsubscribed',
  'event:klaviyo.unsubscribed_from_email_marketing': 'Unsubscribed from Email Marketing',
}

/** A Klaviyo event resource (`data[]` of Get Events), camelCase (SDK) or snake_case (raw JSON). */
export interface KlaviyoEventLike {
  id?: string | null
  type?: string
  attributes?: {
    datetime?: Date | string | null
    timestamp?: number | null
    eventProperties?: Record<string, unknown> | object | null
    event_properties?: Record<string, unknown> | object | null
    uuid?: string | null
    [key: string]: unknown
  } | null
  relationships?: {
    profile?: { data?: { id?: string | null; type?: string } | null } | null
    metric?: { data?: { id?: string | null; type?: string } | null } | null
    [key: string]: unknown
  } | null
}

/** A Klaviyo profile resource (`included[]` of Get Events), camelCase (SDK) or snake_case (raw JSON). */
export interface KlaviyoProfileLike {
  id?: string | null
  type?: string
  attributes?: {
    email?: string | null
    externalId?: string | null
    external_id?: string | null
    properties?: Record<string, unknown> | object | null
    [key: string]: unknown
  } | null
}

/** Properties of a relayed event (Segment email spec names plus `provider`). */
export interface RelayEventProperties {
  email_id?: string
  email_subject?: string
  campaign_id?: string
  campaign_name?: string
  link_url?: string
  provider: 'Klaviyo'
  /** Klaviyo profile id, so warehouse users can join back to Klaviyo. */
  klaviyo_profile_id?: string
}

/** The Segment `track` message the relay sends for one Klaviyo event: `anonymousId` is the bridge id
 * (or `klaviyo:<profile id>`), `userId` the Klaviyo `external_id` when different, `messageId`
 * `klaviyo-<Klaviyo event id>`, `timestamp` the Klaviyo event time. */
export type RelayTrackMessage = SegmentTrackMessage<RelayEventName, RelayEventProperties>

/** Input of {@link mapKlaviyoEvent}. */
export interface MapInput {
  event: KlaviyoEventLike
  /** The event's profile (from `included`); may be missing if Klaviyo deleted it. */
  profile?: KlaviyoProfileLike | null
  /** Klaviyo metric name of the event (known from the metric polled or the webhook topic). */
  metricName: string
}

/** Options of {@link mapKlaviyoEvent}. */
export interface MapOptions {
  /** Segment `integrations` object; default {@link DEFAULT_INTEGRATIONS}. Pass `null` to send none. */
  integrations?: Record<string, boolean> | null
  /** The site's bridge-token query parameter (default `mst`), stripped from `link_url`. */
  linkParam?: string
}

/**
 * Default destination filter. A workspace that also sends Segment events to Klaviyo would
 * otherwise write "Email Opened" etc. back into Klaviyo as duplicate custom metrics.
 */
export const DEFAULT_INTEGRATIONS: Readonly<Record<string, boolean>> = Object.freeze({
  Klaviyo: false,
  'Klaviyo (Actions)': false,
})

/** Longest string value we forward; keeps every event far below Segment's 32 KB per-event limit. */
const MAX_STRING = 8192

/** True when the metric is one the relay forwards. */
export function isRelayedMetric(name: string): name is RelayedMetricName {
  return Object.prototype.hasOwnProperty.call(METRIC_TO_EVENT, name)
}

/**
 * Map one Klaviyo email event to a Segment `track` message, or `null` when it must not be sent
 * (metric outside the contract table, or no event id / time / profile id to key it by).
 */
export function mapKlaviyoEvent(input: MapInput, options: MapOptions = {}): RelayTrackMessage | null {
  const { event, profile, metricName } = input
  if (!isRelayedMetric(metricName)) return null
  const eventId = str(event.id)
  if (!eventId) return null
  const attrs = event.attributes ?? {}
  const timestamp = eventTime(attrs.datetime, attrs.timestamp)
  if (!timestamp) return null

  const profileId = str(profile?.id) ?? str(event.relationships?.profile?.data?.id)
  const pattrs = profile?.attributes ?? {}
  const pprops = asRecord(pattrs.properties)
  const bridgeId = str(pprops.segment_anonymous_id)
  const externalId = str(pattrs.externalId) ?? str(pattrs.external_id)
  const email = str(pattrs.email)

  let anonymousId: string | undefined
  let userId: string | undefined
  if (bridgeId) anonymousId = bridgeId
  if (externalId && externalId !== bridgeId) userId = externalId
  if (!anonymousId && !userId) {
    if (!profileId) return null // nothing at all to key the event to
    anonymousId = `klaviyo:${profileId}`
  }

  const ep = asRecord(attrs.eventProperties ?? attrs.event_properties)
  const properties: RelayEventProperties = { provider: 'Klaviyo' }
  // `$message` is the id of the message that was sent (campaign message, or flow message).
  setIf(properties, 'email_id', str(ep.$message))
  setIf(properties, 'email_subject', str(ep.Subject))
  // Campaign sends carry their campaign in `$message` (older data) or `$campaign`; flow sends carry
  // the flow in `$flow`, which plays the campaign's role in Segment's email spec.
  setIf(properties, 'campaign_id', str(ep.$campaign) ?? str(ep.$flow) ?? str(ep.$message))
  // Klaviyo fills 'Campaign Name' for campaigns and with the flow message name for flows.
  setIf(properties, 'campaign_name', str(ep['Campaign Name']))
  // Klaviyo records the link as rendered for this recipient, bridge token included; the token
  // must not reach any destination as part of a URL (see docs/threat-model.md).
  const url = str(ep.URL)
  if (metricName === 'Clicked Email') setIf(properties, 'link_url', url && scan(url, options.linkParam || 'mst')[1])
  setIf(properties, 'klaviyo_profile_id', profileId)

  const message: RelayTrackMessage = {
    type: 'track',
    event: METRIC_TO_EVENT[metricName],
    messageId: `klaviyo-${eventId}`,
    timestamp,
    properties,
    context: { library: { name: RELAY_NAME, version: RELAY_VERSION } },
  }
  if (anonymousId) message.anonymousId = anonymousId
  if (userId) message.userId = userId
  if (email) message.context.traits = { email }
  const integrations = options.integrations === undefined ? DEFAULT_INTEGRATIONS : options.integrations
  if (integrations) message.integrations = { ...integrations }
  return message
}

/** ISO time of a Klaviyo event from `datetime` (Date or string) or `timestamp` (epoch seconds). */
export function eventTime(datetime: unknown, timestamp: unknown): string | undefined {
  if (datetime instanceof Date) return Number.isNaN(datetime.getTime()) ? undefined : datetime.toISOString()
  if (typeof datetime === 'string' && datetime) {
    const ms = Date.parse(datetime)
    if (!Number.isNaN(ms)) return new Date(ms).toISOString()
  }
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) {
    // Klaviyo's `timestamp` is seconds; tolerate milliseconds from hand-written payloads.
    return new Date(timestamp > 1e11 ? timestamp : timestamp * 1000).toISOString()
  }
  return undefined
}

function str(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v !== 'string') return undefined
  const t = v.trim()
  if (!t) return undefined
  return t.length > MAX_STRING ? t.slice(0, MAX_STRING) : t
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function setIf<K extends keyof RelayEventProperties>(o: RelayEventProperties, k: K, v: RelayEventProperties[K] | undefined): void {
  if (v !== undefined) o[k] = v
}
