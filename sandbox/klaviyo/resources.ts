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

/**
 * A JSON:API resource as Klaviyo's API answers it: `links.self` is `{base}/api/{type}s/{id}/`, and
 * each relationship (with its `data`, when given) carries `self` and `related` links below it.
 */
function resource(type: string, id: string, base: string, attributes: Record<string, unknown>, relationships: Record<string, { data?: unknown }>): Record<string, unknown> {
  const self = `${base}/api/${type}s/${id}/`
  const linked: Record<string, unknown> = {}
  for (const [name, relationship] of Object.entries(relationships)) {
    linked[name] = { ...relationship, links: { self: `${self}relationships/${name}/`, related: `${self}${name}/` } }
  }
  return { type, id, attributes, relationships: linked, links: { self } }
}

/** JSON:API resource of an event, as Get Events returns it. */
export function eventResource(e: KlaviyoEvent, base: string, fields?: SparseFields): Record<string, unknown> {
  const attributes = pick({ timestamp: e.timestamp, event_properties: e.event_properties, datetime: e.datetime, uuid: e.uuid }, fields)
  return resource('event', e.id, base, attributes, {
    profile: { data: { type: 'profile', id: e.profile_id } },
    metric: { data: { type: 'metric', id: e.metric_id } },
  })
}

/** JSON:API resource of a profile. Never carries `anonymous_id` or `_kx`, like Klaviyo's. */
export function profileResource(p: KlaviyoProfile, base: string, fields?: SparseFields): Record<string, unknown> {
  const attributes = pick(
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
  )
  return resource('profile', p.id, base, attributes, { lists: {}, segments: {} })
}

/** JSON:API resource of a metric. */
export function metricResource(m: KlaviyoMetric, base: string, fields?: SparseFields): Record<string, unknown> {
  const attributes = pick({ name: m.name, created: m.created, updated: m.updated, integration: m.integration }, fields)
  return resource('metric', m.id, base, attributes, { 'flow-triggers': {} })
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
