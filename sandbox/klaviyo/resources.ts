/** JSON:API resources of stored objects, shaped like Klaviyo's API responses. */
import type { KlaviyoEvent, KlaviyoMetric, KlaviyoProfile } from './types'

/** Sparse fieldset: top-level attribute names to keep. */
export type SparseFields = ReadonlySet<string>
/** A sparse fieldset, or all fields. */
export type Fields = SparseFields | undefined

/** Only the attributes in `fields` (all when undefined). */
export function pick(attrs: Record<string, unknown>, fields: Fields): Record<string, unknown> {
  if (!fields) return attrs
  const out: Record<string, unknown> = {}
  for (const k in attrs) if (fields.has(k)) out[k] = attrs[k]
  return out
}

/** JSON:API resource of an event, as Get Events returns it. */
export function eventResource(e: KlaviyoEvent, base: string, fields?: SparseFields): Record<string, unknown> {
  const self = `${base}/api/events/${e.id}/`
  return {
    type: 'event',
    id: e.id,
    attributes: pick({ timestamp: e.timestamp, event_properties: e.event_properties, datetime: e.datetime, uuid: e.uuid }, fields),
    relationships: {
      profile: { data: { type: 'profile', id: e.profile_id }, links: { self: `${self}relationships/profile/`, related: `${self}profile/` } },
      metric: { data: { type: 'metric', id: e.metric_id }, links: { self: `${self}relationships/metric/`, related: `${self}metric/` } },
    },
    links: { self },
  }
}

/** JSON:API resource of a profile. Never carries `anonymous_id` or `_kx`, like Klaviyo's. */
export function profileResource(p: KlaviyoProfile, base: string, fields?: SparseFields): Record<string, unknown> {
  const self = `${base}/api/profiles/${p.id}/`
  return {
    type: 'profile',
    id: p.id,
    attributes: pick(
      {
        email: p.email,
        phone_number: p.phone_number,
        external_id: p.external_id,
        first_name: p.first_name,
        last_name: p.last_name,
        organization: p.organization,
        locale: p.locale,
        title: p.title,
        image: p.image,
        created: p.created,
        updated: p.updated,
        last_event_date: p.last_event_date,
        location: p.location ?? {},
        properties: p.properties,
      },
      fields,
    ),
    relationships: {
      lists: { links: { self: `${self}relationships/lists/`, related: `${self}lists/` } },
      segments: { links: { self: `${self}relationships/segments/`, related: `${self}segments/` } },
    },
    links: { self },
  }
}

/** JSON:API resource of a metric. */
export function metricResource(m: KlaviyoMetric, base: string, fields?: SparseFields): Record<string, unknown> {
  const self = `${base}/api/metrics/${m.id}/`
  return {
    type: 'metric',
    id: m.id,
    attributes: pick({ name: m.name, created: m.created, updated: m.updated, integration: m.integration }, fields),
    relationships: { 'flow-triggers': { links: { self: `${self}relationships/flow-triggers/`, related: `${self}flow-triggers/` } } },
    links: { self },
  }
}

/** Where {@link eventDocument} finds an event's profile and metric (a {@link KlaviyoStore} will do). */
export interface EventLookup {
  getProfile(id: string): KlaviyoProfile | undefined
  getMetric(id: string): KlaviyoMetric | undefined
}

/** A Get Event document (`{data, included}`) for an event, with its profile and metric included. */
export function eventDocument(store: EventLookup, e: KlaviyoEvent, base = 'https://a.klaviyo.com', include: Array<'profile' | 'metric'> = ['profile', 'metric']): { data: Record<string, unknown>; included: Array<Record<string, unknown>> } {
  const included: Array<Record<string, unknown>> = []
  const p = include.includes('profile') ? store.getProfile(e.profile_id) : undefined
  if (p) included.push(profileResource(p, base))
  const m = include.includes('metric') ? store.getMetric(e.metric_id) : undefined
  if (m) included.push(metricResource(m, base))
  return { data: eventResource(e, base), included }
}
