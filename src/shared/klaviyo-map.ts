/**
 * Klaviyo email event + profile → Segment `track` message, per docs/relay.md, "What arrives in Segment".
 * Pure: no I/O, no clock. Accepts both the camelCase objects the klaviyo-api SDK returns and the
 * snake_case JSON:API objects Klaviyo puts into webhook payloads.
 */
import { RELAY_NAME, version as RELAY_VERSION } from './version'
import { EMAIL_BOUNCED, EMAIL_DELIVERED, EMAIL_LINK_CLICKED, EMAIL_MARKED_AS_SPAM, EMAIL_OPENED, UNSUBSCRIBED, type RelayedEmailEventName } from './email-events'
import { scan, TOKEN } from './url'
import type { SegmentTrackMessage } from './segment-message'
import { recordOf } from './json'

/** Klaviyo metric name → Segment event name (Segment's email spec). Metrics not listed are ignored. */
export const METRIC_TO_EVENT = {
  'Received Email': EMAIL_DELIVERED,
  'Opened Email': EMAIL_OPENED,
  'Clicked Email': EMAIL_LINK_CLICKED,
  'Bounced Email': EMAIL_BOUNCED,
  'Marked Email as Spam': EMAIL_MARKED_AS_SPAM,
  Unsubscribed: UNSUBSCRIBED,
  'Unsubscribed from Email Marketing': UNSUBSCRIBED,
} as const satisfies Record<string, RelayedEmailEventName>

/** A Klaviyo metric name the relay forwards. */
export type RelayedMetricName = keyof typeof METRIC_TO_EVENT
/** A Segment event name the relay emits. */
export type RelayEventName = (typeof METRIC_TO_EVENT)[RelayedMetricName]

/**
 * Klaviyo system-webhook topic name (after `event:` and an optional `klaviyo.`) → metric name.
 * `email_delivered` is a documented alias of received_email (help centre "Understand webhooks in
 * Advanced KDP" spells the topic `event: email_delivered`).
 */
const TOPIC_NAME_TO_METRIC: Readonly<Record<string, RelayedMetricName>> = {
  received_email: 'Received Email',
  email_delivered: 'Received Email',
  opened_email: 'Opened Email',
  clicked_email: 'Clicked Email',
  bounced_email: 'Bounced Email',
  marked_email_as_spam: 'Marked Email as Spam',
  unsubscribed: 'Unsubscribed',
  unsubscribed_from_email_marketing: 'Unsubscribed from Email Marketing',
}

/** Klaviyo system-webhook topic id as the developer guide spells it (`event:klaviyo.opened_email`) → metric name. */
export const WEBHOOK_TOPIC_TO_METRIC: Readonly<Record<string, RelayedMetricName>> = Object.fromEntries(
  Object.entries(TOPIC_NAME_TO_METRIC).map(([name, metric]) => [`event:klaviyo.${name}`, metric]),
)

/** Metric name for a webhook topic in any published spelling (`event:klaviyo.opened_email`, `event: email_delivered`), or undefined. */
export function metricForTopic(topic: unknown): RelayedMetricName | undefined {
  if (typeof topic !== 'string') return undefined
  const name = topic
    .trim()
    .toLowerCase()
    .replace(/^event\s*:\s*/, '')
    .replace(/^klaviyo\s*\.\s*/, '')
    .replace(/[\s-]+/g, '_')
  return Object.prototype.hasOwnProperty.call(TOPIC_NAME_TO_METRIC, name) ? TOPIC_NAME_TO_METRIC[name] : undefined
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

/** A Klaviyo profile's bridge id (`properties.segment_anonymous_id`), when it is a well-formed id (CONTRACT.md, "Identity model"). */
export function profileBridgeId(profile: KlaviyoProfileLike | null | undefined): string | undefined {
  const properties = profile?.attributes?.properties
  if (!properties || typeof properties !== 'object') return undefined
  const value = (properties as Record<string, unknown>).segment_anonymous_id
  return typeof value === 'string' && TOKEN.test(value.trim()) ? value.trim() : undefined
}

/**
 * Properties of a relayed event: Segment email spec names plus `provider`, each taken only from a
 * property Klaviyo records on its email events (`$message`, `$flow`, `Campaign Name`, `Subject`,
 * `URL`, `Bounce Type`, `Inbox Provider`, `Email Domain`, `$ESP`; see the example payload in the
 * help centre's "Understand webhooks in Advanced KDP" and ../shared/research/klaviyo.md).
 */
export interface RelayEventProperties {
  /** Klaviyo `$message`: the id of the message sent (a campaign's, or a flow message's). */
  email_id?: string
  email_subject?: string
  /** Campaign sends only: the campaign (Klaviyo's `$message` of a campaign send). */
  campaign_id?: string
  /** Campaign sends only: Klaviyo's `Campaign Name`. */
  campaign_name?: string
  /** Flow sends only: Klaviyo's `$flow`. */
  flow_id?: string
  /** Flow sends only: Klaviyo's `Campaign Name`, which for a flow send names the flow message. */
  flow_message_name?: string
  /** `'flow'` when Klaviyo recorded a `$flow`, else `'campaign'`. */
  send_type?: 'campaign' | 'flow'
  link_url?: string
  /** Bounced Email: Klaviyo's `Bounce Type` (e.g. hard, soft). */
  bounce_type?: string
  inbox_provider?: string
  email_domain?: string
  /** Klaviyo's `$ESP` code (which sending infrastructure delivered it). */
  esp?: string
  /** Opened Email: true when Klaviyo flagged the open as a machine open (Apple Mail Privacy Protection). */
  machine_open?: true
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
  /**
   * Apple Mail Privacy Protection opens: `'keep'` (default) sends them with `machine_open: true`;
   * `'drop'` does not send them (the mapper returns null).
   */
  machineOpens?: 'keep' | 'drop'
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
  const eventId = identity(event.id)
  if (!eventId) return null
  const attrs = event.attributes ?? {}
  const timestamp = eventTime(attrs.datetime, attrs.timestamp)
  if (!timestamp) return null

  const profileId = identity(profile?.id) ?? identity(event.relationships?.profile?.data?.id)
  const pattrs = profile?.attributes ?? {}
  const pprops = recordOf(pattrs.properties)
  const bridgeId = identity(pprops.segment_anonymous_id)
  const externalId = identity(pattrs.externalId) ?? identity(pattrs.external_id)
  const email = identity(pattrs.email)

  let anonymousId: string | undefined
  let userId: string | undefined
  if (bridgeId) anonymousId = bridgeId
  if (externalId && externalId !== bridgeId) userId = externalId
  if (!anonymousId && !userId) {
    if (!profileId) return null // nothing at all to key the event to
    anonymousId = `klaviyo:${profileId}`
  }

  const ep = recordOf(attrs.eventProperties ?? attrs.event_properties)
  const machineOpen = metricName === 'Opened Email' && isMachineOpen(ep)
  if (machineOpen && options.machineOpens === 'drop') return null
  const properties: RelayEventProperties = { provider: 'Klaviyo' }
  const messageId = str(ep.$message)
  const flowId = str(ep.$flow)
  setIf(properties, 'email_id', messageId)
  setIf(properties, 'email_subject', str(ep.Subject))
  // Klaviyo records `$flow` on flow sends only; a campaign send's `$message` is its campaign.
  // No id comes from a property Klaviyo does not send (real events carry no `$campaign`).
  if (flowId) {
    properties.send_type = 'flow'
    properties.flow_id = flowId
    setIf(properties, 'flow_message_name', str(ep['Campaign Name']))
  } else if (messageId || str(ep['Campaign Name'])) {
    properties.send_type = 'campaign'
    setIf(properties, 'campaign_id', messageId)
    setIf(properties, 'campaign_name', str(ep['Campaign Name']))
  }
  // Klaviyo records the link as rendered for this recipient, bridge token included; the token
  // must not reach any destination as part of a URL (see docs/threat-model.md).
  const url = str(ep.URL)
  if (metricName === 'Clicked Email') setIf(properties, 'link_url', url && scan(url, options.linkParam || 'mst')[1])
  if (metricName === 'Bounced Email') setIf(properties, 'bounce_type', str(ep['Bounce Type']))
  setIf(properties, 'inbox_provider', str(ep['Inbox Provider']))
  setIf(properties, 'email_domain', str(ep['Email Domain']))
  setIf(properties, 'esp', str(ep.$ESP))
  if (machineOpen) properties.machine_open = true
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

/**
 * True when Klaviyo flagged an open as a machine open: the help centre names the property
 * `Apple Privacy Open`; community threads show `machine_open`. Either, as a boolean or its text.
 */
function isMachineOpen(eventProperties: Record<string, unknown>): boolean {
  return truthy(eventProperties['Apple Privacy Open']) || truthy(eventProperties.machine_open)
}

/**
 * The metrics to relay out of those an account has: with both `Unsubscribed` and `Unsubscribed
 * from Email Marketing`, Klaviyo records one unsubscribe under both, so only the latter is kept
 * (one unsubscribe is one Segment `Unsubscribed`).
 */
export function relayedMetricNames<T extends string>(names: readonly T[]): T[] {
  const both = names.includes('Unsubscribed' as T) && names.includes('Unsubscribed from Email Marketing' as T)
  return names.filter((n) => isRelayedMetric(n) && !(both && n === 'Unsubscribed'))
}

function truthy(v: unknown): boolean {
  if (v === true || v === 1) return true
  return typeof v === 'string' && /^(true|1|yes)$/i.test(v.trim())
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

/**
 * An identifier or an email, whole or not at all: a cut one names someone else (an email cut
 * mid-domain is another address, a cut id another visitor). One longer than {@link MAX_STRING}
 * is no real address or id (RFC 5321 §4.5.3.1 caps an address at 256 octets), so it is left out.
 */
function identity(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v !== 'string') return undefined
  const t = v.trim()
  if (!t || t.length > MAX_STRING) return undefined
  return t
}

function setIf<K extends keyof RelayEventProperties>(o: RelayEventProperties, k: K, v: RelayEventProperties[K] | undefined): void {
  if (v !== undefined) o[k] = v
}
