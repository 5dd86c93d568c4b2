/**
 * Reading one Klaviyo system-webhook delivery, in every shape Klaviyo has published:
 * `{data: [{topic, external_id, payload}], meta}` where `payload` "has the same structure as a Get
 * Event API call" (developer guide "Working with system webhooks"). The help centre's example
 * ("Understand webhooks in Advanced KDP", article 17760478970907) has `payload.data` only: the metric
 * and profile as relationships (`{data: {id, type}, links}`), no `included`, a `datetime` written
 * with a space (`2023-08-10 07:21:56+00:00`), and the topic spelled `event: email_delivered`. The
 * developer guide spells topics `event:klaviyo.received_email`. Every spelling is accepted.
 */
import { metricForTopic } from '../shared/klaviyo-map'
import type { KlaviyoEventLike, KlaviyoProfileLike, RelayedMetricName } from '../shared/klaviyo-map'
import { recordOf } from '../shared/json'

/** One `data[]` item, read. */
export interface DeliveryItem {
  /** The event, with `id` filled from `external_id` when the payload omits it and an ISO `datetime`. */
  event: KlaviyoEventLike
  metricId?: string
  /** The metric's own name when the payload includes the metric. */
  includedMetricName?: string
  /** The metric named by the topic, when the topic is one of the relayed ones. */
  topicMetricName?: RelayedMetricName
  profileId?: string
  /** The profile when the payload includes it. */
  includedProfile?: KlaviyoProfileLike
}

/** Read one `data[]` item (anything: unknown shapes give an item with nothing to relay). */
export function readDeliveryItem(raw: unknown): DeliveryItem {
  const item = recordOf(raw)
  const payload = recordOf(item.payload)
  const data = recordOf(payload.data)
  // `payload` is a Get Event document (`{data, included}`); a bare event resource is accepted too.
  const source = Object.keys(data).length ? data : payload
  const included = Array.isArray(payload.included) ? payload.included.map(recordOf) : []
  const relationships = recordOf(source.relationships)
  const metricId = str(recordOf(recordOf(relationships.metric).data).id)
  const profileId = str(recordOf(recordOf(relationships.profile).data).id)

  const attributes = { ...recordOf(source.attributes) }
  // The published example writes `2023-08-10 07:21:56+00:00`; make it ISO 8601 so every runtime parses it.
  if (typeof attributes.datetime === 'string') attributes.datetime = attributes.datetime.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2')
  const event: KlaviyoEventLike = {
    id: str(source.id) ?? str(item.external_id) ?? null,
    type: 'event',
    attributes,
    relationships: relationships as KlaviyoEventLike['relationships'],
  }

  const metric = included.find((r) => r.type === 'metric' && (!metricId || r.id === metricId))
  const profile = included.find((r) => r.type === 'profile' && (!profileId || r.id === profileId))
  return {
    event,
    metricId,
    includedMetricName: str(recordOf(metric?.attributes).name),
    topicMetricName: metricForTopic(item.topic),
    profileId: profileId ?? str(profile?.id),
    includedProfile: profile as KlaviyoProfileLike | undefined,
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined
}

