/** Stored Klaviyo objects and the store's query shapes (see {@link KlaviyoStore}). */
import type { KlaviyoStore } from './store'

/** Profile location, as Klaviyo stores it. */
export interface KlaviyoLocation {
  address1?: string | null
  address2?: string | null
  city?: string | null
  country?: string | null
  region?: string | null
  zip?: string | null
  timezone?: string | null
  ip?: string | null
  latitude?: string | number | null
  longitude?: string | number | null
}

/** A list membership recorded by a subscription. */
export interface KlaviyoListMembership {
  listId: string
  consent: 'SUBSCRIBED'
  channel: 'email' | 'sms'
  customSource?: string
  subscribedAt: string
}

/** A stored profile. `anonymous_id` and `_kx` are internal: the API never returns them. */
export interface KlaviyoProfile {
  id: string
  email: string | null
  phone_number: string | null
  external_id: string | null
  anonymous_id: string | null
  _kx: string
  first_name: string | null
  last_name: string | null
  organization: string | null
  locale: string | null
  title: string | null
  image: string | null
  location: KlaviyoLocation | null
  properties: Record<string, unknown>
  created: string
  updated: string
  last_event_date: string | null
  /** List memberships by list id. */
  lists: Record<string, KlaviyoListMembership>
}

/** Attributes accepted when creating or updating a profile. */
export interface ProfileAttributes {
  email?: string | null
  phone_number?: string | null
  external_id?: string | null
  anonymous_id?: string | null
  _kx?: string | null
  first_name?: string | null
  last_name?: string | null
  organization?: string | null
  locale?: string | null
  title?: string | null
  image?: string | null
  location?: KlaviyoLocation | null
  properties?: Record<string, unknown>
}

/** The integration a metric belongs to (Klaviyo's own email metrics vs API-created ones). */
export interface KlaviyoIntegration {
  object: 'integration'
  id: string
  key: string
  name: string
  category: string
}

/** A metric (event name). */
export interface KlaviyoMetric {
  id: string
  name: string
  created: string
  updated: string
  integration: KlaviyoIntegration
}

/** A stored event. `datetime` has second precision, like Klaviyo's. */
export interface KlaviyoEvent {
  id: string
  metric_id: string
  profile_id: string
  /** ISO 8601 with `+00:00`, e.g. `2026-07-01T12:00:00+00:00`. */
  datetime: string
  /** Epoch seconds. */
  timestamp: number
  uuid: string
  event_properties: Record<string, unknown>
  unique_id?: string
}

/** Input of {@link KlaviyoStore.recordEvent}. */
export interface RecordEventInput {
  metricName: string
  /** Existing profile; or give `profile` attributes to resolve/create one. */
  profileId?: string
  profile?: ProfileAttributes
  properties?: Record<string, unknown>
  /** Event time (default now); truncated to the second. */
  time?: Date | string | number
  /** Dedupe key: a repeat for the same profile and metric returns the first event. */
  uniqueId?: string
  /** Force the metric's integration (default: Klaviyo for email metrics, API otherwise). */
  integration?: 'klaviyo' | 'api'
}

/** Change notifications from the store. */
export type StoreChange =
  | { kind: 'event'; event: KlaviyoEvent; metric: KlaviyoMetric; profile: KlaviyoProfile }
  | { kind: 'profile'; profile: KlaviyoProfile; created: boolean }
  | { kind: 'subscription'; profile: KlaviyoProfile; listId: string }

/** Options of {@link KlaviyoStore.seedSynthetic}. */
export interface SyntheticSeed {
  /** Number of synthetic profiles (events cycle through them). */
  profiles: number
  /** Number of synthetic events. */
  events: number
  /** Metric of event i is `metricNames[i % metricNames.length]`; repeat a name to weight it. */
  metricNames?: string[]
  /** Time of event 0 (default 2026-01-01T00:00:00Z). */
  start?: Date
  /** Time between consecutive events in ms (default 1000). */
  spacingMs?: number
}

/** Position of an event in datetime order: second-precision time in ms, then id. */
export interface EventKey {
  t: number
  id: string
}

/** A range query over events (see {@link KlaviyoStore.queryEvents}). */
export interface EventQuery {
  metricId?: string
  profileId?: string
  /** Time predicates on the event's second-precision time (epoch ms). */
  gt?: number
  gte?: number
  lt?: number
  lte?: number
  descending?: boolean
  /** Return only events strictly after this key (in the query's direction). */
  after?: EventKey
  limit: number
}

/** Thrown when a server-side identifier change collides with another profile (HTTP 409). */
export class DuplicateProfileError extends Error {
  constructor(readonly duplicateProfileId: string, readonly field: string) {
    super(`A profile already exists with this ${field}: ${duplicateProfileId}`)
  }
}
