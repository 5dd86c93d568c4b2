/**
 * A local Klaviyo: the client API the browser SDK posts to (public key, `company_id`) and the
 * slice of the server API the relay reads with the real `klaviyo-api` client (metrics, events,
 * profiles), over `node:http`. State lives in {@link KlaviyoStore}, which the demo and tests can
 * drive directly. A synthetic mode serves millions of events generated from their index, so
 * benchmarks can page through 1M events with flat memory.
 *
 * Behaviour follows Klaviyo's documented rules where they matter to mailstitch: client requests
 * answer 202 with an empty body, never change an existing profile identifier, and record
 * `anonymous_id` without ever returning it; the server API speaks JSON:API with cursor paging.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type http from 'node:http'
import {
  FaultInjector,
  answerPreflight,
  applyCors,
  closeServer,
  createServer,
  isRecord,
  listen,
  parseJson,
  readBody,
  requestOrigin,
  safeDecode,
  sendEmpty,
  sendJson,
  sleep,
  type FaultSpec,
  type ListenOptions,
  type RunningServer,
} from './http-util'

// ---------------------------------------------------------------------------------------------
// Types

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

// ---------------------------------------------------------------------------------------------
// Constants and ids

/** Klaviyo's built-in email metric names (integration "Klaviyo"). */
export const KLAVIYO_EMAIL_METRICS: readonly string[] = [
  'Received Email',
  'Opened Email',
  'Clicked Email',
  'Bounced Email',
  'Dropped Email',
  'Marked Email as Spam',
  'Unsubscribed',
  'Unsubscribed from Email Marketing',
  'Subscribed to List',
]

const KLAVIYO_INTEGRATION: KlaviyoIntegration = { object: 'integration', id: '0rG4eQ', key: 'klaviyo', name: 'Klaviyo', category: 'Internal' }
const API_INTEGRATION: KlaviyoIntegration = { object: 'integration', id: '7FtS4J', key: 'api', name: 'API', category: 'API' }

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

function randomString(len: number, alphabet: string): string {
  const bytes = randomBytes(len)
  let out = ''
  for (let i = 0; i < len; i++) out += alphabet[bytes[i] % alphabet.length]
  return out
}

// Profile ids are ULIDs at Klaviyo (26 chars, time-ordered): creation order == id order.
let lastUlidMs = 0
let ulidSeq = 0
function ulid(): string {
  let ms = Date.now()
  if (ms <= lastUlidMs) {
    ms = lastUlidMs
    ulidSeq++
  } else {
    lastUlidMs = ms
    ulidSeq = 0
  }
  let time = ''
  let t = ms
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  // A sequence in the random part keeps ids monotonic within one millisecond.
  let seq = ''
  let s = ulidSeq
  for (let i = 0; i < 4; i++) {
    seq = CROCKFORD[s % 32] + seq
    s = Math.floor(s / 32)
  }
  return time + seq + randomString(12, CROCKFORD)
}

/** Klaviyo-style ISO time: second precision, `+00:00` offset. */
export function klaviyoDatetime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00')
}

function nowIso(): string {
  return klaviyoDatetime(Date.now())
}

const EMAIL_RE = /^[^\s@"<>()[\],;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,}$/
const PHONE_RE = /^\+[1-9]\d{6,14}$/

/** True for an address Klaviyo would accept. */
export function isValidEmail(v: string): boolean {
  return v.length <= 254 && EMAIL_RE.test(v)
}

// ---------------------------------------------------------------------------------------------
// Synthetic data (bench mode): everything derived from an index, nothing stored per event.

interface SyntheticState {
  profiles: number
  events: number
  pattern: string[]
  /** Metric id for each pattern slot. */
  patternIds: string[]
  startMs: number
  spacingMs: number
}

const SYN_PROFILE_RE = /^SYN([0-9A-Z]{23})$/
const SYN_EVENT_RE = /^S([0-9a-z]{10})$/
const SYN_EMAIL_RE = /^synthetic\.(\d+)@example\.com$/
const SYN_EXTERNAL_RE = /^syn-user-(\d+)$/
const SYN_ANON_RE = /^syn-anon-(\d+)$/

function synProfileId(j: number): string {
  return 'SYN' + j.toString(36).toUpperCase().padStart(23, '0')
}
function synEventId(i: number): string {
  return 'S' + i.toString(36).padStart(10, '0')
}

// ---------------------------------------------------------------------------------------------
// Store

/** Listener of store changes. */
export type StoreListener = (change: StoreChange) => void

/** In-memory Klaviyo account state: profiles, metrics, events, list memberships. */
export class KlaviyoStore {
  /** Account (company) id, used in `_kx` values and webhook meta. */
  readonly accountId: string
  private profilesById = new Map<string, KlaviyoProfile>()
  private byEmail = new Map<string, string>()
  private byPhone = new Map<string, string>()
  private byExternal = new Map<string, string>()
  private byAnon = new Map<string, string>()
  private byKx = new Map<string, string>()
  private metricsById = new Map<string, KlaviyoMetric>()
  private metricsByName = new Map<string, KlaviyoMetric>()
  /** Materialised events sorted by (t, id). */
  private sorted: Array<{ t: number; e: KlaviyoEvent }> = []
  private eventsById = new Map<string, KlaviyoEvent>()
  private uniqueKeys = new Map<string, string>()
  private listeners = new Set<StoreListener>()
  private syn: SyntheticState | null = null

  constructor(opts: { accountId?: string } = {}) {
    this.accountId = opts.accountId ?? 'AbC123'
  }

  /** Be told about every new event, profile change and subscription; returns unsubscribe. */
  subscribe(cb: StoreListener): () => void {
    this.listeners.add(cb)
    return () => {
      this.listeners.delete(cb)
    }
  }

  private emit(change: StoreChange): void {
    for (const cb of [...this.listeners]) {
      try {
        cb(change)
      } catch {
        // A faulty listener must not corrupt the write that triggered it.
      }
    }
  }

  /** Forget everything, including synthetic data (listeners stay). */
  reset(): void {
    this.profilesById.clear()
    for (const m of [this.byEmail, this.byPhone, this.byExternal, this.byAnon, this.byKx]) m.clear()
    this.metricsById.clear()
    this.metricsByName.clear()
    this.sorted = []
    this.eventsById.clear()
    this.uniqueKeys.clear()
    this.syn = null
  }

  // -- profiles ------------------------------------------------------------------------------

  /** All materialised profiles, oldest first (synthetic ones are not listed). */
  listProfiles(): KlaviyoProfile[] {
    return [...this.profilesById.values()]
  }

  /** Number of profiles including synthetic ones. */
  profileCount(): number {
    return this.profilesById.size + (this.syn?.profiles ?? 0)
  }

  /** True for a stored (not synthetic) profile id: only those can be modified. */
  hasProfile(id: string): boolean {
    return this.profilesById.has(id)
  }

  /** Profile by id (synthetic ids resolve too). */
  getProfile(id: string): KlaviyoProfile | undefined {
    const p = this.profilesById.get(id)
    if (p) return p
    const m = this.syn && SYN_PROFILE_RE.exec(id)
    if (m) {
      const j = parseInt(m[1], 36)
      if (j < this.syn!.profiles) return this.synProfile(j)
    }
    return undefined
  }

  /** Find a profile by one identifier (email matching is case-insensitive). */
  findProfile(q: { id?: string; email?: string; external_id?: string; anonymous_id?: string; phone_number?: string; _kx?: string }): KlaviyoProfile | undefined {
    if (q.id) return this.getProfile(q.id)
    let id: string | undefined
    let synIndex: number | undefined
    if (q.email) {
      id = this.byEmail.get(q.email.trim().toLowerCase())
      const m = SYN_EMAIL_RE.exec(q.email.trim().toLowerCase())
      if (m) synIndex = Number(m[1])
    } else if (q.external_id) {
      id = this.byExternal.get(q.external_id)
      const m = SYN_EXTERNAL_RE.exec(q.external_id)
      if (m && Number(m[1]) % 5 === 0) synIndex = Number(m[1])
    } else if (q.anonymous_id) {
      id = this.byAnon.get(q.anonymous_id)
      const m = SYN_ANON_RE.exec(q.anonymous_id)
      if (m && Number(m[1]) % 4 !== 3) synIndex = Number(m[1])
    } else if (q.phone_number) {
      id = this.byPhone.get(q.phone_number)
    } else if (q._kx) {
      id = this.byKx.get(q._kx)
    }
    if (id) return this.profilesById.get(id)
    if (synIndex !== undefined && this.syn && synIndex < this.syn.profiles) return this.synProfile(synIndex)
    return undefined
  }

  private newProfile(): KlaviyoProfile {
    const now = nowIso()
    return {
      id: ulid(),
      email: null,
      phone_number: null,
      external_id: null,
      anonymous_id: null,
      _kx: `${randomBytes(16).toString('base64')}.${this.accountId}`,
      first_name: null,
      last_name: null,
      organization: null,
      locale: null,
      title: null,
      image: null,
      location: null,
      properties: {},
      created: now,
      updated: now,
      last_event_date: null,
      lists: {},
    }
  }

  private index(p: KlaviyoProfile): void {
    if (p.email) this.byEmail.set(p.email.toLowerCase(), p.id)
    if (p.phone_number) this.byPhone.set(p.phone_number, p.id)
    if (p.external_id) this.byExternal.set(p.external_id, p.id)
    // The most recent writer wins: a device id follows whoever used the browser last.
    if (p.anonymous_id) this.byAnon.set(p.anonymous_id, p.id)
    this.byKx.set(p._kx, p.id)
  }

  private unindex(p: KlaviyoProfile): void {
    if (p.email && this.byEmail.get(p.email.toLowerCase()) === p.id) this.byEmail.delete(p.email.toLowerCase())
    if (p.phone_number && this.byPhone.get(p.phone_number) === p.id) this.byPhone.delete(p.phone_number)
    if (p.external_id && this.byExternal.get(p.external_id) === p.id) this.byExternal.delete(p.external_id)
    if (p.anonymous_id && this.byAnon.get(p.anonymous_id) === p.id) this.byAnon.delete(p.anonymous_id)
  }

  /**
   * Create or update a profile.
   * - `mode: 'server'` (default; private-key semantics): match by `id`, then email, phone,
   *   external_id; identifiers given are set even if the profile had others, and a value owned
   *   by another profile throws {@link DuplicateProfileError}.
   * - `mode: 'client'` (public-key semantics): match by email, then phone, external_id,
   *   anonymous_id, _kx; an identifier already set on the profile is never changed (Klaviyo
   *   answers 202 and ignores it), a missing one is filled in.
   */
  createOrUpdateProfile(attrs: ProfileAttributes & { id?: string }, opts: { mode?: 'client' | 'server' } = {}): { profile: KlaviyoProfile; created: boolean } {
    const mode = opts.mode ?? 'server'
    const email = attrs.email ? attrs.email.trim() : attrs.email
    const a: ProfileAttributes & { id?: string } = { ...attrs, email }
    let p: KlaviyoProfile | undefined
    if (mode === 'server') {
      p =
        (a.id ? this.profilesById.get(a.id) : undefined) ??
        (a.email ? this.lookup(this.byEmail, a.email.toLowerCase()) : undefined) ??
        (a.phone_number ? this.lookup(this.byPhone, a.phone_number) : undefined) ??
        (a.external_id ? this.lookup(this.byExternal, a.external_id) : undefined)
      if (a.id && !p) throw new Error(`no profile with id ${a.id}`)
    } else {
      p = this.clientMatch(a)
    }
    const created = !p
    if (!p) p = this.newProfile()
    else this.unindex(p)
    try {
      this.apply(p, a, mode)
    } finally {
      if (!created) this.index(p)
    }
    if (created) {
      this.profilesById.set(p.id, p)
      this.index(p)
    }
    this.emit({ kind: 'profile', profile: p, created })
    return { profile: p, created }
  }

  private lookup(map: Map<string, string>, key: string): KlaviyoProfile | undefined {
    const id = map.get(key)
    return id ? this.profilesById.get(id) : undefined
  }

  // Strongest identifier first. A profile found through a device-level id (anonymous_id, _kx)
  // that already belongs to someone else (different email/phone/external_id) is not reused:
  // that is a shared browser, and Klaviyo keeps the two people apart.
  private clientMatch(a: ProfileAttributes): KlaviyoProfile | undefined {
    if (a.email) {
      const p = this.lookup(this.byEmail, a.email.toLowerCase())
      if (p) return p
    }
    if (a.phone_number) {
      const p = this.lookup(this.byPhone, a.phone_number)
      if (p && !(a.email && p.email)) return p
    }
    if (a.external_id) {
      const p = this.lookup(this.byExternal, a.external_id)
      if (p) return p
    }
    const conflicts = (p: KlaviyoProfile) =>
      (!!a.email && !!p.email && p.email.toLowerCase() !== a.email.toLowerCase()) ||
      (!!a.phone_number && !!p.phone_number && p.phone_number !== a.phone_number) ||
      (!!a.external_id && !!p.external_id && p.external_id !== a.external_id)
    for (const [map, key] of [
      [this.byAnon, a.anonymous_id],
      [this.byKx, a._kx],
    ] as const) {
      if (!key) continue
      const p = this.lookup(map, key)
      if (p && !conflicts(p)) return p
    }
    return undefined
  }

  private apply(p: KlaviyoProfile, a: ProfileAttributes, mode: 'client' | 'server'): void {
    if (mode === 'server') {
      // Check every identifier before touching anything, so a 409 leaves the profile as it was.
      for (const [field, value, index] of [
        ['email', a.email?.toLowerCase(), this.byEmail],
        ['phone_number', a.phone_number, this.byPhone],
        ['external_id', a.external_id, this.byExternal],
      ] as const) {
        const owner = value ? index.get(value) : undefined
        if (owner && owner !== p.id) throw new DuplicateProfileError(owner, field)
      }
    }
    const setId = (field: 'email' | 'phone_number' | 'external_id', value: string | null | undefined, index: Map<string, string>, key: (v: string) => string) => {
      if (value === undefined) return
      if (mode === 'client') {
        // Client endpoints fill a missing identifier but never replace or clear one.
        if (p[field] || !value) return
        const owner = index.get(key(value))
        if (owner && owner !== p.id) return
        p[field] = value
        return
      }
      p[field] = value || null
    }
    setId('email', a.email, this.byEmail, (v) => v.toLowerCase())
    setId('phone_number', a.phone_number, this.byPhone, (v) => v)
    setId('external_id', a.external_id, this.byExternal, (v) => v)
    if (a.anonymous_id && !p.anonymous_id) p.anonymous_id = a.anonymous_id
    for (const k of ['first_name', 'last_name', 'organization', 'locale', 'title', 'image'] as const) {
      const v = a[k]
      if (v !== undefined) p[k] = v
    }
    if (a.location !== undefined) p.location = a.location === null ? null : { ...(p.location ?? {}), ...a.location }
    if (a.properties) p.properties = { ...p.properties, ...a.properties }
    p.updated = nowIso()
  }

  /** Apply Klaviyo's `meta.patch_properties` (append / unappend / unset) to a profile. */
  patchProperties(profileId: string, patch: { append?: Record<string, unknown>; unappend?: Record<string, unknown>; unset?: string | string[] }): void {
    const p = this.profilesById.get(profileId)
    if (!p) return
    for (const [k, v] of Object.entries(patch.append ?? {})) {
      const cur = p.properties[k]
      const arr = Array.isArray(cur) ? [...cur] : cur === undefined || cur === null ? [] : [cur]
      p.properties[k] = [...arr, ...(Array.isArray(v) ? v : [v])]
    }
    for (const [k, v] of Object.entries(patch.unappend ?? {})) {
      const cur = p.properties[k]
      if (!Array.isArray(cur)) continue
      const drop = new Set((Array.isArray(v) ? v : [v]).map((x) => JSON.stringify(x)))
      p.properties[k] = cur.filter((x) => !drop.has(JSON.stringify(x)))
    }
    const unset = patch.unset === undefined ? [] : Array.isArray(patch.unset) ? patch.unset : [patch.unset]
    for (const k of unset) delete p.properties[k]
    p.updated = nowIso()
  }

  /** Subscribe a profile to a list (email marketing consent), as `/client/subscriptions` does. */
  subscribeToList(listId: string, profileId: string, opts: { channel?: 'email' | 'sms'; customSource?: string } = {}): KlaviyoListMembership {
    const p = this.profilesById.get(profileId)
    if (!p) throw new Error(`no profile with id ${profileId}`)
    const membership: KlaviyoListMembership = {
      listId,
      consent: 'SUBSCRIBED',
      channel: opts.channel ?? 'email',
      customSource: opts.customSource,
      subscribedAt: nowIso(),
    }
    p.lists[listId] = membership
    p.updated = nowIso()
    this.emit({ kind: 'subscription', profile: p, listId })
    return membership
  }

  // -- metrics -------------------------------------------------------------------------------

  /** All metrics, oldest first. */
  metrics(): KlaviyoMetric[] {
    return [...this.metricsById.values()]
  }

  /** Metric by id. */
  getMetric(id: string): KlaviyoMetric | undefined {
    return this.metricsById.get(id)
  }

  /** Metric by name, created if missing. */
  ensureMetric(name: string, integration?: 'klaviyo' | 'api'): KlaviyoMetric {
    const found = this.metricsByName.get(name)
    if (found) return found
    const now = nowIso()
    const kind = integration ?? (KLAVIYO_EMAIL_METRICS.includes(name) ? 'klaviyo' : 'api')
    let id = randomString(6, ALNUM)
    while (this.metricsById.has(id)) id = randomString(6, ALNUM)
    const m: KlaviyoMetric = { id, name, created: now, updated: now, integration: { ...(kind === 'klaviyo' ? KLAVIYO_INTEGRATION : API_INTEGRATION) } }
    this.metricsById.set(id, m)
    this.metricsByName.set(name, m)
    return m
  }

  // -- events --------------------------------------------------------------------------------

  /** Materialised events in datetime order (synthetic ones are not listed). */
  events(): KlaviyoEvent[] {
    return this.sorted.map((x) => x.e)
  }

  /** Number of events including synthetic ones. */
  eventCount(): number {
    return this.sorted.length + (this.syn?.events ?? 0)
  }

  /** Event by id (synthetic ids resolve too). */
  getEvent(id: string): KlaviyoEvent | undefined {
    const e = this.eventsById.get(id)
    if (e) return e
    const m = this.syn && SYN_EVENT_RE.exec(id)
    if (m) {
      const i = parseInt(m[1], 36)
      if (i < this.syn!.events) return this.synEvent(i)
    }
    return undefined
  }

  /** Record an event (creating the metric and, from `profile`, the profile if needed); notifies subscribers. */
  recordEvent(input: RecordEventInput): KlaviyoEvent {
    let profile: KlaviyoProfile | undefined
    if (input.profileId) profile = this.getProfile(input.profileId)
    else if (input.profile) profile = this.createOrUpdateProfile(input.profile, { mode: 'client' }).profile
    if (!profile) throw new Error(input.profileId ? `no profile with id ${input.profileId}` : 'recordEvent needs profileId or profile')
    const metric = this.ensureMetric(input.metricName, input.integration)
    if (input.uniqueId) {
      const dup = this.uniqueKeys.get(`${profile.id}|${metric.id}|${input.uniqueId}`)
      const existing = dup ? this.eventsById.get(dup) : undefined
      if (existing) return existing
    }
    const ms = input.time === undefined ? Date.now() : input.time instanceof Date ? input.time.getTime() : typeof input.time === 'number' ? input.time : Date.parse(input.time)
    if (!Number.isFinite(ms)) throw new Error(`invalid event time: ${String(input.time)}`)
    const t = Math.floor(ms / 1000) * 1000
    let id = randomString(11, ALNUM)
    while (this.eventsById.has(id)) id = randomString(11, ALNUM)
    const event: KlaviyoEvent = {
      id,
      metric_id: metric.id,
      profile_id: profile.id,
      datetime: klaviyoDatetime(t),
      timestamp: t / 1000,
      uuid: randomUUID(),
      event_properties: { ...(input.properties ?? {}), $event_id: String(input.uniqueId ?? t / 1000) },
      ...(input.uniqueId ? { unique_id: input.uniqueId } : {}),
    }
    // Binary insert keeps (t, id) order even for back-dated events.
    const pos = this.lowerBound({ t, id })
    this.sorted.splice(pos, 0, { t, e: event })
    this.eventsById.set(id, event)
    if (input.uniqueId) this.uniqueKeys.set(`${profile.id}|${metric.id}|${input.uniqueId}`, id)
    if (this.profilesById.has(profile.id) && (!profile.last_event_date || profile.last_event_date < event.datetime)) profile.last_event_date = event.datetime
    this.emit({ kind: 'event', event, metric, profile })
    return event
  }

  // First position whose key is >= k.
  private lowerBound(k: EventKey): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const x = this.sorted[mid]
      if (x.t < k.t || (x.t === k.t && x.e.id < k.id)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /**
   * Events matching `q` in (datetime, id) order, at most `q.limit`, plus whether more follow.
   * Materialised and synthetic events are merged; each page costs O(limit) memory.
   */
  queryEvents(q: EventQuery): { events: KlaviyoEvent[]; more: boolean } {
    const want = q.limit + 1
    const real = this.scanReal(q, want)
    const syn = this.syn ? this.scanSynthetic(q, want) : []
    let merged: Array<{ t: number; e: KlaviyoEvent }>
    if (!syn.length) merged = real
    else if (!real.length) merged = syn
    else {
      merged = []
      let i = 0
      let j = 0
      const before = (a: { t: number; e: KlaviyoEvent }, b: { t: number; e: KlaviyoEvent }) => {
        const lt = a.t < b.t || (a.t === b.t && a.e.id < b.e.id)
        return q.descending ? !lt : lt
      }
      while (merged.length < want && (i < real.length || j < syn.length)) {
        if (j >= syn.length || (i < real.length && before(real[i], syn[j]))) merged.push(real[i++])
        else merged.push(syn[j++])
      }
    }
    return { events: merged.slice(0, q.limit).map((x) => x.e), more: merged.length > q.limit }
  }

  private timeOk(q: EventQuery, t: number): boolean {
    return (q.gt === undefined || t > q.gt) && (q.gte === undefined || t >= q.gte) && (q.lt === undefined || t < q.lt) && (q.lte === undefined || t <= q.lte)
  }

  private scanReal(q: EventQuery, want: number): Array<{ t: number; e: KlaviyoEvent }> {
    const out: Array<{ t: number; e: KlaviyoEvent }> = []
    const match = (x: { t: number; e: KlaviyoEvent }) =>
      this.timeOk(q, x.t) && (!q.metricId || x.e.metric_id === q.metricId) && (!q.profileId || x.e.profile_id === q.profileId)
    if (!q.descending) {
      let i = 0
      if (q.after) {
        i = this.lowerBound(q.after)
        if (i < this.sorted.length && this.sorted[i].t === q.after.t && this.sorted[i].e.id === q.after.id) i++
      } else if (q.gte !== undefined || q.gt !== undefined) {
        i = this.lowerBound({ t: Math.max(q.gte ?? -Infinity, q.gt ?? -Infinity), id: '' })
      }
      for (; i < this.sorted.length && out.length < want; i++) {
        const x = this.sorted[i]
        if ((q.lt !== undefined && x.t >= q.lt) || (q.lte !== undefined && x.t > q.lte)) break
        if (match(x)) out.push(x)
      }
    } else {
      let i = this.sorted.length - 1
      if (q.after) i = this.lowerBound(q.after) - 1
      for (; i >= 0 && out.length < want; i--) {
        const x = this.sorted[i]
        if ((q.gt !== undefined && x.t <= q.gt) || (q.gte !== undefined && x.t < q.gte)) break
        if (match(x)) out.push(x)
      }
    }
    return out
  }

  // -- synthetic -----------------------------------------------------------------------------

  /**
   * Serve `events` synthetic events over `profiles` synthetic profiles, generated on demand from
   * their index (nothing per event is stored). Event i happens at `start + i * spacingMs`, has
   * metric `metricNames[i % n]` and profile `i % profiles`. Profile j has email
   * `synthetic.<j>@example.com`; three in four carry `properties.segment_anonymous_id`
   * (`syn-anon-<j>`), one in five an external_id (`syn-user-<j>`). Replaces an earlier seed.
   */
  seedSynthetic(seed: SyntheticSeed): void {
    const profiles = Math.floor(seed.profiles)
    const events = Math.floor(seed.events)
    if (!(profiles >= 1) || !(events >= 0)) throw new Error('seedSynthetic needs profiles >= 1 and events >= 0')
    const pattern = seed.metricNames?.length ? [...seed.metricNames] : ['Received Email', 'Opened Email', 'Clicked Email', 'Bounced Email', 'Marked Email as Spam', 'Unsubscribed from Email Marketing']
    const spacingMs = seed.spacingMs ?? 1000
    if (!(spacingMs > 0)) throw new Error('seedSynthetic spacingMs must be > 0')
    this.syn = {
      profiles,
      events,
      pattern,
      patternIds: pattern.map((n) => this.ensureMetric(n).id),
      startMs: (seed.start ?? new Date('2026-01-01T00:00:00Z')).getTime(),
      spacingMs,
    }
  }

  /** The current synthetic seed, if any. */
  syntheticInfo(): { profiles: number; events: number; startMs: number; spacingMs: number } | null {
    const s = this.syn
    return s ? { profiles: s.profiles, events: s.events, startMs: s.startMs, spacingMs: s.spacingMs } : null
  }

  private synTime(i: number): number {
    const s = this.syn!
    return Math.floor((s.startMs + i * s.spacingMs) / 1000) * 1000
  }

  private synProfile(j: number): KlaviyoProfile {
    const s = this.syn!
    const created = klaviyoDatetime(s.startMs)
    const properties: Record<string, unknown> = { synthetic: true }
    if (j % 4 !== 3) properties.segment_anonymous_id = `syn-anon-${j}`
    return {
      id: synProfileId(j),
      email: `synthetic.${j}@example.com`,
      phone_number: null,
      external_id: j % 5 === 0 ? `syn-user-${j}` : null,
      anonymous_id: j % 4 !== 3 ? `syn-anon-${j}` : null,
      _kx: `syn${j}.${this.accountId}`,
      first_name: `Synth${j}`,
      last_name: null,
      organization: null,
      locale: null,
      title: null,
      image: null,
      location: null,
      properties,
      created,
      updated: created,
      last_event_date: null,
      lists: {},
    }
  }

  private synEvent(i: number): KlaviyoEvent {
    const s = this.syn!
    const t = this.synTime(i)
    const slot = i % s.pattern.length
    const name = s.pattern[slot]
    const campaign = i % 50
    const props: Record<string, unknown> = {
      $message: `SynMsg${campaign}`,
      $campaign: `SynCmp${campaign}`,
      Subject: `Synthetic campaign ${campaign}`,
      'Campaign Name': `Synthetic campaign ${campaign}`,
      'Email Domain': 'example.com',
      $event_id: String(i),
    }
    if (name === 'Clicked Email') props.URL = `https://shop.example/products/${i % 100}`
    return {
      id: synEventId(i),
      metric_id: s.patternIds[slot],
      profile_id: synProfileId(i % s.profiles),
      datetime: klaviyoDatetime(t),
      timestamp: t / 1000,
      uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      event_properties: props,
    }
  }

  // Synthetic time and id both grow with the index, so every bound is a binary search.
  private synFirst(pred: (i: number) => boolean): number {
    let lo = 0
    let hi = this.syn!.events
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (pred(mid)) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  private scanSynthetic(q: EventQuery, want: number): Array<{ t: number; e: KlaviyoEvent }> {
    const s = this.syn!
    let profileIdx: number | undefined
    if (q.profileId) {
      const m = SYN_PROFILE_RE.exec(q.profileId)
      if (!m) return []
      profileIdx = parseInt(m[1], 36)
      if (profileIdx >= s.profiles) return []
    }
    let slots: Set<number> | undefined
    if (q.metricId) {
      slots = new Set(s.patternIds.flatMap((id, k) => (id === q.metricId ? [k] : [])))
      if (!slots.size) return []
    }
    // Index range [lo, hi) allowed by the time bounds.
    const lo = this.synFirst((i) => (q.gte === undefined || this.synTime(i) >= q.gte) && (q.gt === undefined || this.synTime(i) > q.gt))
    const hi = this.synFirst((i) => (q.lt !== undefined && this.synTime(i) >= q.lt) || (q.lte !== undefined && this.synTime(i) > q.lte))
    const keyLess = (i: number, k: EventKey) => {
      const t = this.synTime(i)
      return t < k.t || (t === k.t && synEventId(i) < k.id)
    }
    const L = s.pattern.length
    const ok = (i: number) => (!slots || slots.has(i % L)) && (profileIdx === undefined || i % s.profiles === profileIdx)
    // Step over whole residue classes when a profile filter makes most indices irrelevant.
    const out: Array<{ t: number; e: KlaviyoEvent }> = []
    if (!q.descending) {
      let i = q.after ? Math.max(lo, this.synFirst((x) => !keyLess(x, q.after!) && !(this.synTime(x) === q.after!.t && synEventId(x) === q.after!.id))) : lo
      const step = profileIdx !== undefined ? s.profiles : 1
      if (profileIdx !== undefined) i += (profileIdx - (i % s.profiles) + s.profiles) % s.profiles
      for (; i < hi && out.length < want; i += step) if (ok(i)) out.push({ t: this.synTime(i), e: this.synEvent(i) })
    } else {
      let i = hi - 1
      if (q.after) i = Math.min(i, this.synFirst((x) => !keyLess(x, q.after!)) - 1)
      const step = profileIdx !== undefined ? s.profiles : 1
      if (profileIdx !== undefined && i >= 0) i -= (i % s.profiles - profileIdx + s.profiles) % s.profiles
      for (; i >= lo && out.length < want; i -= step) if (ok(i)) out.push({ t: this.synTime(i), e: this.synEvent(i) })
    }
    return out
  }

  /** Synthetic profile by position (0-based) for paging listings; undefined past the end. */
  syntheticProfileAt(j: number): KlaviyoProfile | undefined {
    return this.syn && j >= 0 && j < this.syn.profiles ? this.synProfile(j) : undefined
  }
}

// ---------------------------------------------------------------------------------------------
// JSON:API resources

/** Sparse fieldset: top-level attribute names to keep. */
export type SparseFields = ReadonlySet<string>
type Fields = SparseFields | undefined

function pick(attrs: Record<string, unknown>, fields: Fields): Record<string, unknown> {
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

// ---------------------------------------------------------------------------------------------
// Filter parsing (the `filter` query parameter)

/** A literal in a filter: quoted string, bare datetime/number/boolean/null, or a list. */
export type FilterValue = string | number | boolean | null | FilterValue[]

/** One `op(field,value)` condition. */
export interface FilterTerm {
  op: string
  field: string
  value: FilterValue
}

class FilterSyntaxError extends Error {}

const FILTER_OPERATORS = new Set(['equals', 'any', 'has', 'greater-than', 'greater-or-equal', 'less-than', 'less-or-equal', 'contains', 'starts-with', 'ends-with'])

/**
 * Parse Klaviyo's `filter` syntax, e.g. `equals(metric_id,"X"),greater-than(datetime,2026-01-01T00:00:00Z)`
 * or `and(equals(email,"a@b.co"),any(external_id,["1","2"]))`, into AND-ed terms. `or`/`not`
 * are refused: no endpoint served here accepts them.
 */
export function parseFilter(input: string): FilterTerm[] {
  const s = input.trim()
  let i = 0
  const fail = (msg: string): never => {
    throw new FilterSyntaxError(`${msg} at position ${i}`)
  }
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++
  }
  const ident = (): string => {
    ws()
    const m = /^[A-Za-z_$][\w.$-]*/.exec(s.slice(i))
    if (!m) return fail('expected a name')
    i += m[0].length
    return m[0]
  }
  const expect = (ch: string) => {
    ws()
    if (s[i] !== ch) fail(`expected '${ch}'`)
    i++
  }
  const value = (): FilterValue => {
    ws()
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i++]
      let out = ''
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\' && i + 1 < s.length) i++
        out += s[i++]
      }
      if (s[i] !== q) fail('unterminated string')
      i++
      return out
    }
    if (s[i] === '[') {
      i++
      const list: FilterValue[] = []
      ws()
      if (s[i] === ']') {
        i++
        return list
      }
      for (;;) {
        list.push(value())
        ws()
        if (s[i] === ',') {
          i++
          continue
        }
        expect(']')
        return list
      }
    }
    const start = i
    while (i < s.length && s[i] !== ',' && s[i] !== ')' && s[i] !== ']') i++
    let raw = s.slice(start, i).trim()
    if (!raw) fail('expected a value')
    if (raw === 'true') return true
    if (raw === 'false') return false
    if (raw === 'null') return null
    if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw)
    // An unencoded '+' in a hand-written URL arrives as a space: `…T00:00:00 00:00`.
    raw = raw.replace(/(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2')
    return raw
  }
  const call = (out: FilterTerm[]) => {
    const name = ident()
    expect('(')
    if (name === 'and') {
      for (;;) {
        call(out)
        ws()
        if (s[i] !== ',') break
        i++
      }
      expect(')')
      return
    }
    if (name === 'or' || name === 'not') fail(`'${name}' is not supported here`)
    if (!FILTER_OPERATORS.has(name)) fail(`unknown operator '${name}'`)
    const field = ident()
    ws()
    let v: FilterValue = null
    if (s[i] === ',') {
      i++
      v = value()
    } else if (name !== 'has') {
      fail("expected ','")
    }
    expect(')')
    out.push({ op: name, field, value: v })
  }
  const terms: FilterTerm[] = []
  if (!s) return terms
  for (;;) {
    call(terms)
    ws()
    if (i >= s.length) break
    if (s[i] !== ',') fail("expected ','")
    i++
  }
  return terms
}

/** A filter datetime literal (ISO string, or epoch seconds) as epoch ms; NaN if invalid. */
export function filterTimeMs(v: FilterValue): number {
  if (typeof v === 'number') return v * 1000
  if (typeof v !== 'string') return NaN
  // Date-only and offset-less values are UTC.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v
  return Date.parse(iso)
}

// ---------------------------------------------------------------------------------------------
// HTTP emulator

/** Which requests an injected fault applies to. */
export type FaultScope = 'server' | 'client' | 'all'

/** A fault for {@link KlaviyoEmulator.setFault}; `scope` defaults to `'server'`. */
export interface KlaviyoFaultSpec extends FaultSpec {
  scope?: FaultScope
}

/** An accepted client-API request, for tests to assert on. */
export interface KlaviyoClientRequest {
  method: string
  /** Path without the query string, e.g. `/client/profiles`. */
  path: string
  query: Record<string, string>
  /** Lower-cased header names. */
  headers: Record<string, string>
  /** Parsed JSON body. */
  body: unknown
  at: string
}

/** One request in the emulator's log (client or server API, any outcome). */
export interface KlaviyoRequestLogEntry {
  api: 'client' | 'server' | 'other'
  method: string
  path: string
  query: Record<string, string>
  status: number
  at: string
}

/** Options of {@link startKlaviyoEmulator}. */
export interface KlaviyoEmulatorOptions extends ListenOptions {
  /** Accepted public keys (`company_id`); undefined accepts any 6-character id. */
  companyIds?: string[]
  /** Accepted private keys (default `['pk_test']`); `pk_noscope` always gets 403. */
  privateKeys?: string[]
  /** Use this store instead of a new one (e.g. shared with a demo). */
  store?: KlaviyoStore
  /** Max request body (default 5 MB, Klaviyo's event payload limit). */
  maxBodyBytes?: number
}

/** A running emulator (see {@link startKlaviyoEmulator}). */
export interface KlaviyoEmulator extends RunningServer {
  /** The account state it serves. */
  readonly store: KlaviyoStore
  /** Accepted client-API requests, oldest first. */
  requests(): KlaviyoClientRequest[]
  /** Every request with its status (client, server and inspection APIs). */
  requestLog(): KlaviyoRequestLogEntry[]
  /** Server-API requests only (e.g. to count pages the relay fetched). */
  serverRequests(): KlaviyoRequestLogEntry[]
  /** Fail the next `count` requests of `scope` (default server) with `status`. */
  setFault(spec: KlaviyoFaultSpec): void
  /** Cancel a pending fault. */
  clearFault(): void
  /** Delay every client and server API response by `ms`. */
  setLatency(ms: number): void
  /** Clear the store, logs, faults and latency. */
  reset(): void
}

/** Klaviyo's JSON:API error document. */
interface KlaviyoErrorBody {
  errors: Array<{ id: string; status: number; code: string; title: string; detail: string; source?: Record<string, string>; links?: Record<string, string>; meta?: Record<string, unknown> }>
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly source?: Record<string, string>,
    readonly meta?: Record<string, unknown>,
  ) {
    super(detail)
  }
  body(): KlaviyoErrorBody {
    return { errors: [{ id: randomUUID(), status: this.status, code: this.code, title: this.title, detail: this.detail, source: this.source ?? {}, links: {}, meta: this.meta ?? {} }] }
  }
}

const invalid = (detail: string, source?: Record<string, string>) => new ApiError(400, 'invalid', 'Invalid input.', detail, source)

const REVISION_RE = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/
const JSONAPI = 'application/vnd.api+json'

function queryObject(u: URL): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of u.searchParams) out[k] = v
  return out
}

// `location.city` keeps the whole `location` object: nested sparse fields are not narrowed.
function fieldsParam(u: URL, type: string): Fields {
  const v = u.searchParams.get(`fields[${type}]`)
  return v ? new Set(v.split(',').map((x) => x.trim().split('.')[0]).filter(Boolean)) : undefined
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

// Cursors are opaque to callers: base64url JSON with the position and the query that made it,
// so a caller passing only `page[cursor]` (the klaviyo-api client with an http base) still gets
// the same result set.
interface EventCursor {
  k: [number, string]
  f?: string
  s?: string
  n?: number
}
interface OffsetCursor {
  o: number
  f?: string
  s?: string
  n?: number
}
function encodeCursor(c: EventCursor | OffsetCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url')
}
function decodeCursor(raw: string): Record<string, unknown> {
  let value = raw
  // klaviyo-api only extracts page[cursor] from https links; with an http emulator the whole
  // `links.next` URL arrives as the cursor.
  if (/^https?:\/\//.test(value) || value.includes('page[cursor]=') || value.includes('page%5Bcursor%5D=')) {
    try {
      const u = new URL(value, 'http://x.invalid')
      value = u.searchParams.get('page[cursor]') ?? ''
    } catch {
      throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' })
    }
  }
  const parsed = parseJson(Buffer.from(value, 'base64url').toString('utf8'))
  if (!parsed.ok || !isRecord(parsed.value)) throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' })
  return parsed.value
}

function pageSize(u: URL, fallback: number | undefined, def: number, max: number): number {
  const raw = u.searchParams.get('page[size]')
  if (raw === null) return fallback ?? def
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalid(`page[size] must be an integer between 1 and ${max}.`, { parameter: 'page[size]' })
  return n
}

function parseFilterParam(raw: string | undefined): FilterTerm[] {
  if (!raw) return []
  try {
    return parseFilter(raw)
  } catch (err) {
    throw invalid(`Invalid filter provided: ${err instanceof Error ? err.message : String(err)}`, { parameter: 'filter' })
  }
}

function badField(field: string, resource: string): ApiError {
  return invalid(`'${field}' is not a valid field for the resource '${resource}'.`, { parameter: 'filter' })
}

function badOperator(op: string, field: string): ApiError {
  return invalid(`'${op}' is not a valid operator for the field '${field}'.`, { parameter: 'filter' })
}

/** Start the emulator; see the module comment. */
export async function startKlaviyoEmulator(opts: KlaviyoEmulatorOptions = {}): Promise<KlaviyoEmulator> {
  const companyIds = opts.companyIds ? new Set(opts.companyIds) : null
  const privateKeys = new Set(opts.privateKeys ?? ['pk_test'])
  const store = opts.store ?? new KlaviyoStore({ accountId: opts.companyIds?.[0] })
  const maxBody = opts.maxBodyBytes ?? 5 * 1024 * 1024
  const faults = new FaultInjector()
  let faultScope: FaultScope = 'server'
  let accepted: KlaviyoClientRequest[] = []
  let log: KlaviyoRequestLogEntry[] = []
  let fallbackOrigin = ''

  const sendError = (res: http.ServerResponse, err: ApiError, headers: Record<string, string> = {}) => sendJson(res, err.status, err.body(), headers, JSONAPI)

  async function injectFault(res: http.ServerResponse, api: 'client' | 'server'): Promise<boolean> {
    if (faults.latency) await sleep(faults.latency)
    if (faultScope !== 'all' && faultScope !== api) return false
    const f = faults.take()
    if (!f) return false
    const retry: Record<string, string> = f.retryAfter !== undefined ? { 'Retry-After': String(Math.ceil(f.retryAfter)) } : {}
    const err =
      f.status === 429
        ? new ApiError(429, 'throttled', 'Request was throttled.', `Request was throttled. Expected available in ${f.retryAfter ?? 1} second${f.retryAfter === 1 ? '' : 's'}.`)
        : new ApiError(f.status, 'error', 'A server error occurred.', 'Injected fault.')
    sendError(res, err, retry)
    return true
  }

  async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
    const body = await readBody(req, maxBody)
    if (!body.ok) {
      if (body.reason === 'too_large') throw new ApiError(413, 'request_too_large', 'Request entity too large.', `The request body exceeds ${maxBody} bytes.`)
      throw invalid('The request body could not be read.')
    }
    const parsed = parseJson(body.body)
    if (!parsed.ok) throw new ApiError(400, 'parse_error', 'Malformed request.', `JSON parse error: ${parsed.error}`)
    return parsed.value
  }

  // ---- client API ----------------------------------------------------------------------------

  function dataOf(body: unknown, type: string): { data: Record<string, unknown>; attributes: Record<string, unknown> } {
    if (!isRecord(body) || !isRecord(body.data)) throw invalid("The request body must contain a 'data' object.", { pointer: '/data' })
    const data = body.data
    if (data.type !== type) throw new ApiError(409, 'conflict', 'Conflict.', `The type '${String(data.type)}' is not valid for this endpoint; expected '${type}'.`, { pointer: '/data/type' })
    if (!isRecord(data.attributes)) throw invalid("'attributes' is a required object.", { pointer: '/data/attributes' })
    return { data, attributes: data.attributes }
  }

  /** Validate and extract profile attributes from a JSON:API attributes object. */
  function profileAttrs(raw: Record<string, unknown>, pointer: string, opts2: { requireIdentifier: boolean }): ProfileAttributes {
    const out: ProfileAttributes = {}
    const text = (k: 'email' | 'phone_number' | 'external_id' | 'anonymous_id' | '_kx' | 'first_name' | 'last_name' | 'organization' | 'locale' | 'title' | 'image') => {
      const v = raw[k]
      if (v === undefined) return
      if (v !== null && typeof v !== 'string') throw invalid(`'${k}' must be a string.`, { pointer: `${pointer}/${k}` })
      out[k] = v
    }
    for (const k of ['email', 'phone_number', 'external_id', 'anonymous_id', '_kx', 'first_name', 'last_name', 'organization', 'locale', 'title', 'image'] as const) text(k)
    if (out.email !== undefined && out.email !== null) {
      const e = out.email.trim()
      if (!isValidEmail(e)) throw invalid(`Invalid email address: ${JSON.stringify(out.email)}`, { pointer: `${pointer}/email` })
      out.email = e
    }
    if (out.phone_number && !PHONE_RE.test(out.phone_number)) throw invalid(`Invalid phone number format (Example of a valid format: +13239169023)`, { pointer: `${pointer}/phone_number` })
    if (out.external_id !== undefined && out.external_id !== null && out.external_id.length > 255) throw invalid("'external_id' is longer than 255 characters.", { pointer: `${pointer}/external_id` })
    if (raw.properties !== undefined) {
      if (!isRecord(raw.properties)) throw invalid("'properties' must be an object.", { pointer: `${pointer}/properties` })
      out.properties = raw.properties
    }
    if (raw.location !== undefined && raw.location !== null) {
      if (!isRecord(raw.location)) throw invalid("'location' must be an object.", { pointer: `${pointer}/location` })
      out.location = raw.location as KlaviyoLocation
    }
    if (opts2.requireIdentifier && !out.email && !out.phone_number && !out.external_id && !out.anonymous_id && !out._kx) {
      throw invalid('One of email, phone_number, external_id, anonymous_id or _kx is required to identify the profile.', { pointer })
    }
    return out
  }

  function patchMeta(meta: unknown): Parameters<KlaviyoStore['patchProperties']>[1] | undefined {
    if (!isRecord(meta) || !isRecord(meta.patch_properties)) return undefined
    const pp = meta.patch_properties
    const unset = Array.isArray(pp.unset) ? pp.unset.filter((x): x is string => typeof x === 'string') : typeof pp.unset === 'string' ? pp.unset : undefined
    return { append: isRecord(pp.append) ? pp.append : undefined, unappend: isRecord(pp.unappend) ? pp.unappend : undefined, unset }
  }

  async function handleClient(req: http.IncomingMessage, res: http.ServerResponse, u: URL, kind: 'profiles' | 'subscriptions' | 'events'): Promise<number> {
    const companyId = u.searchParams.get('company_id')
    if (!companyId) throw invalid('Missing required query parameter: company_id.', { parameter: 'company_id' })
    if (companyIds ? !companyIds.has(companyId) : !/^[A-Za-z0-9]{6}$/.test(companyId)) throw invalid(`Invalid company_id: ${companyId}.`, { parameter: 'company_id' })
    const revision = req.headers.revision
    if (typeof revision !== 'string' || !revision) throw invalid('Missing required header: revision.', { header: 'revision' })
    if (!REVISION_RE.test(revision)) throw invalid(`Invalid revision header: ${revision}.`, { header: 'revision' })
    const body = await readJsonBody(req)
    if (await injectFault(res, 'client')) return res.statusCode

    if (kind === 'profiles') {
      const { data, attributes } = dataOf(body, 'profile')
      const attrs = profileAttrs(attributes, '/data/attributes', { requireIdentifier: true })
      const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
      const patch = patchMeta(data.meta ?? attributes.meta)
      if (patch) store.patchProperties(profile.id, patch)
    } else if (kind === 'subscriptions') {
      const { data, attributes } = dataOf(body, 'subscription')
      const rel = isRecord(data.relationships) ? data.relationships : undefined
      const list = rel && isRecord(rel.list) && isRecord(rel.list.data) ? rel.list.data : undefined
      if (!list) throw invalid("'list' is a required relationship.", { pointer: '/data/relationships/list' })
      if (list.type !== 'list' || typeof list.id !== 'string' || !list.id) throw invalid('The list relationship needs type "list" and an id.', { pointer: '/data/relationships/list/data' })
      const prof = isRecord(attributes.profile) && isRecord(attributes.profile.data) ? attributes.profile.data : undefined
      if (!prof || !isRecord(prof.attributes)) throw invalid("'profile' is required.", { pointer: '/data/attributes/profile' })
      if (prof.type !== undefined && prof.type !== 'profile') throw invalid('The profile must have type "profile".', { pointer: '/data/attributes/profile/data/type' })
      const attrs = profileAttrs(prof.attributes, '/data/attributes/profile/data/attributes', { requireIdentifier: false })
      if (!attrs.email && !attrs.phone_number) throw invalid('An email or phone_number is required to subscribe a profile.', { pointer: '/data/attributes/profile/data/attributes' })
      const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
      store.subscribeToList(list.id, profile.id, { channel: attrs.email ? 'email' : 'sms', customSource: str(attributes.custom_source) })
    } else {
      const { attributes } = dataOf(body, 'event')
      if (!isRecord(attributes.properties)) throw invalid("'properties' is a required object.", { pointer: '/data/attributes/properties' })
      const metric = isRecord(attributes.metric) && isRecord(attributes.metric.data) && isRecord(attributes.metric.data.attributes) ? attributes.metric.data.attributes : undefined
      const metricName = metric ? str(metric.name) : undefined
      if (!metricName) throw invalid("'metric' with a name is required.", { pointer: '/data/attributes/metric/data/attributes/name' })
      const prof = isRecord(attributes.profile) && isRecord(attributes.profile.data) && isRecord(attributes.profile.data.attributes) ? attributes.profile.data.attributes : undefined
      if (!prof) throw invalid("'profile' is required.", { pointer: '/data/attributes/profile' })
      const attrs = profileAttrs(prof, '/data/attributes/profile/data/attributes', { requireIdentifier: true })
      let time: number | undefined
      if (attributes.time !== undefined && attributes.time !== null) {
        time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : NaN
        if (!Number.isFinite(time)) throw invalid("'time' must be an ISO 8601 datetime.", { pointer: '/data/attributes/time' })
      }
      const properties: Record<string, unknown> = { ...attributes.properties }
      if (typeof attributes.value === 'number') properties.$value = attributes.value
      const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
      store.recordEvent({ metricName, profileId: profile.id, properties, time, uniqueId: str(attributes.unique_id) })
    }
    accepted.push({
      method: req.method ?? 'POST',
      path: u.pathname,
      query: queryObject(u),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      body,
      at: new Date().toISOString(),
    })
    sendEmpty(res, 202)
    return 202
  }

  // ---- server API ----------------------------------------------------------------------------

  function authenticate(req: http.IncomingMessage): void {
    const auth = req.headers.authorization
    const m = typeof auth === 'string' ? /^Klaviyo-API-Key\s+(\S+)\s*$/i.exec(auth) : null
    if (!m) throw new ApiError(401, 'not_authenticated', 'Authentication credentials were not provided.', 'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.')
    if (m[1] === 'pk_noscope') throw new ApiError(403, 'permission_denied', 'You do not have permission to perform this action.', 'This API key is missing required scopes.')
    if (!privateKeys.has(m[1])) throw new ApiError(401, 'authentication_failed', 'Incorrect authentication credentials.', 'The private API key is invalid.')
    const revision = req.headers.revision
    if (typeof revision !== 'string' || !revision) throw invalid('Missing required header: revision.', { header: 'revision' })
    if (!REVISION_RE.test(revision)) throw invalid(`Invalid revision header: ${revision}.`, { header: 'revision' })
  }

  function nextLink(base: string, u: URL, cursor: string): string {
    const q = new URLSearchParams(u.searchParams)
    q.set('page[cursor]', cursor)
    return `${base}${u.pathname.replace(/\/?$/, '/')}?${q.toString()}`
  }

  function getEvents(u: URL, base: string): unknown {
    const rawCursor = u.searchParams.get('page[cursor]')
    const cur = rawCursor ? decodeCursor(rawCursor) : undefined
    const filterRaw = u.searchParams.get('filter') ?? str(cur?.f)
    const sort = u.searchParams.get('sort') ?? str(cur?.s) ?? 'datetime'
    if (!['datetime', '-datetime', 'timestamp', '-timestamp'].includes(sort)) throw invalid(`'${sort}' is not a valid sort for the resource 'event'.`, { parameter: 'sort' })
    const size = pageSize(u, typeof cur?.n === 'number' ? cur.n : undefined, 200, 1000)
    const q: EventQuery = { limit: size, descending: sort.startsWith('-') }
    for (const term of parseFilterParam(filterRaw)) {
      const { op, field, value } = term
      if (field === 'metric_id' || field === 'profile_id') {
        if (op !== 'equals') throw badOperator(op, field)
        if (typeof value !== 'string') throw invalid(`'${field}' must be compared with a string.`, { parameter: 'filter' })
        if (field === 'metric_id') q.metricId = value
        else q.profileId = value
      } else if (field === 'datetime' || field === 'timestamp') {
        const ms = filterTimeMs(value)
        if (!Number.isFinite(ms)) throw invalid(`Invalid datetime in filter: ${JSON.stringify(value)}.`, { parameter: 'filter' })
        if (op === 'greater-than') q.gt = Math.max(q.gt ?? -Infinity, ms)
        else if (op === 'greater-or-equal') q.gte = Math.max(q.gte ?? -Infinity, ms)
        else if (op === 'less-than') q.lt = Math.min(q.lt ?? Infinity, ms)
        else if (op === 'less-or-equal') q.lte = Math.min(q.lte ?? Infinity, ms)
        else throw badOperator(op, field)
      } else if (field === 'profile' || field === 'metric') {
        if (op !== 'has') throw badOperator(op, field)
      } else {
        throw badField(field, 'event')
      }
    }
    if (cur) {
      const k = cur.k
      if (!Array.isArray(k) || typeof k[0] !== 'number' || typeof k[1] !== 'string') throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' })
      q.after = { t: k[0], id: k[1] }
    }
    const include = new Set((u.searchParams.get('include') ?? '').split(',').map((x) => x.trim()).filter(Boolean))
    for (const inc of include) if (!['profile', 'metric', 'attributions'].includes(inc)) throw invalid(`'${inc}' is not a valid relationship for include.`, { parameter: 'include' })
    const { events, more } = store.queryEvents(q)
    const fEvent = fieldsParam(u, 'event')
    const fProfile = fieldsParam(u, 'profile')
    const fMetric = fieldsParam(u, 'metric')
    const included: Array<Record<string, unknown>> = []
    const seen = new Set<string>()
    for (const e of events) {
      if (include.has('profile') && !seen.has(`p:${e.profile_id}`)) {
        seen.add(`p:${e.profile_id}`)
        const p = store.getProfile(e.profile_id)
        if (p) included.push(profileResource(p, base, fProfile))
      }
      if (include.has('metric') && !seen.has(`m:${e.metric_id}`)) {
        seen.add(`m:${e.metric_id}`)
        const m = store.getMetric(e.metric_id)
        if (m) included.push(metricResource(m, base, fMetric))
      }
    }
    const last = events[events.length - 1]
    const next = more && last ? nextLink(base, u, encodeCursor({ k: [last.timestamp * 1000, last.id], f: filterRaw ?? undefined, s: sort, n: size })) : null
    return {
      data: events.map((e) => eventResource(e, base, fEvent)),
      links: { self: `${base}${u.pathname}${u.search}`, next, prev: null },
      ...(include.size ? { included } : {}),
    }
  }

  function getMetrics(u: URL, base: string): unknown {
    const rawCursor = u.searchParams.get('page[cursor]')
    const cur = rawCursor ? decodeCursor(rawCursor) : undefined
    const filterRaw = u.searchParams.get('filter') ?? str(cur?.f)
    const preds: Array<(m: KlaviyoMetric) => boolean> = []
    for (const { op, field, value } of parseFilterParam(filterRaw)) {
      if (field !== 'integration.name' && field !== 'integration.category') throw badField(field, 'metric')
      if (op !== 'equals') throw badOperator(op, field)
      const key = field === 'integration.name' ? 'name' : 'category'
      preds.push((m) => m.integration[key] === value)
    }
    const all = store.metrics().filter((m) => preds.every((p) => p(m)))
    const offset = typeof cur?.o === 'number' ? cur.o : 0
    const size = 200
    const page = all.slice(offset, offset + size)
    const next = offset + size < all.length ? nextLink(base, u, encodeCursor({ o: offset + size, f: filterRaw ?? undefined })) : null
    return { data: page.map((m) => metricResource(m, base, fieldsParam(u, 'metric'))), links: { self: `${base}${u.pathname}${u.search}`, next, prev: null } }
  }

  function getProfiles(u: URL, base: string): unknown {
    const rawCursor = u.searchParams.get('page[cursor]')
    const cur = rawCursor ? decodeCursor(rawCursor) : undefined
    const filterRaw = u.searchParams.get('filter') ?? str(cur?.f)
    const sort = u.searchParams.get('sort') ?? str(cur?.s) ?? 'id'
    const sortKey = sort.replace(/^-/, '')
    if (!['id', 'created', 'updated', 'email'].includes(sortKey)) throw invalid(`'${sort}' is not a valid sort for the resource 'profile'.`, { parameter: 'sort' })
    const size = pageSize(u, typeof cur?.n === 'number' ? cur.n : undefined, 20, 100)
    const preds: Array<(p: KlaviyoProfile) => boolean> = []
    const idLookups: Array<() => KlaviyoProfile[]> = []
    for (const { op, field, value } of parseFilterParam(filterRaw)) {
      if (['email', 'phone_number', 'external_id', 'id', '_kx'].includes(field)) {
        const f = field as 'email' | 'phone_number' | 'external_id' | 'id' | '_kx'
        if (op !== 'equals' && !(op === 'any' && f !== '_kx')) throw badOperator(op, field)
        const values = (op === 'any' ? (Array.isArray(value) ? value : []) : [value]).filter((v): v is string => typeof v === 'string')
        const norm = (v: string | null) => (v === null ? null : f === 'email' ? v.toLowerCase() : v)
        const set = new Set(values.map((v) => norm(v)))
        preds.push((p) => set.has(norm(p[f])))
        idLookups.push(() => values.flatMap((v) => store.findProfile({ [f]: v }) ?? []))
      } else if (field === 'created' || field === 'updated') {
        const ms = filterTimeMs(value)
        if (!Number.isFinite(ms)) throw invalid(`Invalid datetime in filter: ${JSON.stringify(value)}.`, { parameter: 'filter' })
        const cmp: Record<string, (a: number) => boolean> = {
          'greater-than': (a) => a > ms,
          'greater-or-equal': (a) => a >= ms,
          'less-than': (a) => a < ms,
          'less-or-equal': (a) => a <= ms,
        }
        const c = cmp[op]
        if (!c) throw badOperator(op, field)
        preds.push((p) => c(Date.parse(p[field])))
      } else {
        throw badField(field, 'profile')
      }
    }
    // Identity filters resolve through the indexes (synthetic profiles included); otherwise list.
    let candidates: KlaviyoProfile[]
    if (idLookups.length) {
      const byId = new Map<string, KlaviyoProfile>()
      for (const p of idLookups[0]()) byId.set(p.id, p)
      candidates = [...byId.values()]
    } else {
      candidates = store.listProfiles()
    }
    candidates = candidates.filter((p) => preds.every((pr) => pr(p)))
    const dir = sort.startsWith('-') ? -1 : 1
    candidates.sort((a, b) => {
      const av = String(a[sortKey as 'id'] ?? '')
      const bv = String(b[sortKey as 'id'] ?? '')
      return (av < bv ? -1 : av > bv ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * dir
    })
    const offset = typeof cur?.o === 'number' ? cur.o : 0
    let page = candidates.slice(offset, offset + size)
    let total = candidates.length
    // Synthetic profiles follow the materialised ones in unfiltered listings (no sort applied).
    const synCount = !idLookups.length && !preds.length ? (store.syntheticInfo()?.profiles ?? 0) : 0
    if (synCount) {
      total += synCount
      for (let k = Math.max(offset, candidates.length); page.length < size && k < total; k++) {
        const p = store.syntheticProfileAt(k - candidates.length)
        if (p) page = [...page, p]
      }
    }
    const next = offset + size < total ? nextLink(base, u, encodeCursor({ o: offset + size, f: filterRaw ?? undefined, s: sort, n: size })) : null
    return { data: page.map((p) => profileResource(p, base, fieldsParam(u, 'profile'))), links: { self: `${base}${u.pathname}${u.search}`, next, prev: null } }
  }

  async function handleServer(req: http.IncomingMessage, res: http.ServerResponse, u: URL, base: string): Promise<number> {
    authenticate(req)
    const method = (req.method ?? 'GET').toUpperCase()
    const p = u.pathname.replace(/\/+$/, '')
    const allow = (methods: string) => {
      if (!methods.split(', ').includes(method)) throw Object.assign(new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${method}" not allowed.`), { allow: methods })
    }
    let m: RegExpExecArray | null
    let body: unknown
    let status = 200
    if (['POST', 'PATCH', 'PUT'].includes(method)) body = await readJsonBody(req)
    if (await injectFault(res, 'server')) return res.statusCode
    let out: unknown
    if (p === '/api/events') {
      allow('GET, POST')
      if (method === 'GET') out = getEvents(u, base)
      else {
        const { attributes } = dataOf(body, 'event')
        const metric = isRecord(attributes.metric) && isRecord(attributes.metric.data) && isRecord(attributes.metric.data.attributes) ? attributes.metric.data.attributes : undefined
        const metricName = metric ? str(metric.name) : undefined
        if (!metricName) throw invalid("'metric' with a name is required.", { pointer: '/data/attributes/metric/data/attributes/name' })
        const prof = isRecord(attributes.profile) && isRecord(attributes.profile.data) && isRecord(attributes.profile.data.attributes) ? attributes.profile.data.attributes : undefined
        if (!prof) throw invalid("'profile' is required.", { pointer: '/data/attributes/profile' })
        const attrs = profileAttrs(prof, '/data/attributes/profile/data/attributes', { requireIdentifier: true })
        const time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : undefined
        if (time !== undefined && !Number.isFinite(time)) throw invalid("'time' must be an ISO 8601 datetime.", { pointer: '/data/attributes/time' })
        const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
        store.recordEvent({ metricName, profileId: profile.id, properties: isRecord(attributes.properties) ? attributes.properties : {}, time, uniqueId: str(attributes.unique_id) })
        sendEmpty(res, 202)
        return 202
      }
    } else if ((m = /^\/api\/events\/([^/]+)$/.exec(p))) {
      allow('GET')
      const e = store.getEvent(safeDecode(m[1]) ?? '')
      if (!e) throw new ApiError(404, 'not_found', 'Not found.', `An event with id ${m[1]} does not exist.`)
      const include = new Set((u.searchParams.get('include') ?? '').split(',').filter(Boolean))
      const doc = eventDocument(store, e, base, [...include].filter((x): x is 'profile' | 'metric' => x === 'profile' || x === 'metric'))
      out = include.size ? doc : { data: doc.data }
    } else if (p === '/api/metrics') {
      allow('GET')
      out = getMetrics(u, base)
    } else if ((m = /^\/api\/metrics\/([^/]+)$/.exec(p))) {
      allow('GET')
      const metric = store.getMetric(safeDecode(m[1]) ?? '')
      if (!metric) throw new ApiError(404, 'not_found', 'Not found.', `A metric with id ${m[1]} does not exist.`)
      out = { data: metricResource(metric, base, fieldsParam(u, 'metric')) }
    } else if (p === '/api/profiles') {
      allow('GET')
      out = getProfiles(u, base)
    } else if ((m = /^\/api\/profiles\/([^/]+)$/.exec(p))) {
      allow('GET, PATCH')
      const id = safeDecode(m[1]) ?? ''
      const existing = store.getProfile(id)
      if (!existing) throw new ApiError(404, 'not_found', 'Not found.', `A profile with id ${id} does not exist.`)
      if (method === 'PATCH') {
        if (!store.hasProfile(id)) throw invalid('Synthetic profiles are read-only in the emulator.', { pointer: '/data/id' })
        const { data, attributes } = dataOf(body, 'profile')
        if (data.id !== id) throw new ApiError(409, 'conflict', 'Conflict.', 'The id in the body does not match the id in the URL.', { pointer: '/data/id' })
        const attrs = profileAttrs(attributes, '/data/attributes', { requireIdentifier: false })
        const { profile } = store.createOrUpdateProfile({ ...attrs, id }, { mode: 'server' })
        const patch = patchMeta(data.meta)
        if (patch) store.patchProperties(profile.id, patch)
        out = { data: profileResource(profile, base) }
      } else {
        out = { data: profileResource(existing, base, fieldsParam(u, 'profile')) }
      }
    } else if (p === '/api/profile-import') {
      allow('POST')
      const { data, attributes } = dataOf(body, 'profile')
      const attrs = profileAttrs(attributes, '/data/attributes', { requireIdentifier: typeof data.id !== 'string' })
      const id = str(data.id)
      if (id && !store.hasProfile(id)) throw new ApiError(404, 'not_found', 'Not found.', `A profile with id ${id} does not exist.`)
      const { profile, created } = store.createOrUpdateProfile({ ...attrs, ...(id ? { id } : {}) }, { mode: 'server' })
      const patch = patchMeta(data.meta)
      if (patch) store.patchProperties(profile.id, patch)
      status = created ? 201 : 200
      out = { data: profileResource(profile, base) }
    } else {
      throw new ApiError(404, 'not_found', 'Not found.', `No endpoint ${method} ${u.pathname} in the emulator.`)
    }
    sendJson(res, status, out, {}, JSONAPI)
    return status
  }

  // ---- inspection API ------------------------------------------------------------------------

  async function handleInspect(req: http.IncomingMessage, res: http.ServerResponse, u: URL): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase()
    const p = u.pathname
    if (method === 'GET' && p === '/_/profiles') sendJson(res, 200, store.listProfiles())
    else if (method === 'GET' && p === '/_/events') sendJson(res, 200, store.events().map((e) => ({ ...e, metric: store.getMetric(e.metric_id)?.name })))
    else if (method === 'GET' && p === '/_/metrics') sendJson(res, 200, store.metrics())
    else if (method === 'GET' && p === '/_/requests') sendJson(res, 200, accepted)
    else if (method === 'POST' && p === '/_/reset') {
      req.resume()
      emulator.reset()
      sendJson(res, 200, { ok: true })
    } else if (method === 'POST' && p === '/_/events') {
      // Lets a page or script simulate an email event: {metricName, email|profileId, properties, time}.
      const body = await readJsonBody(req)
      if (!isRecord(body) || typeof body.metricName !== 'string') throw invalid("Body needs 'metricName' and 'email' or 'profileId'.")
      const profileId = str(body.profileId) ?? (typeof body.email === 'string' ? store.findProfile({ email: body.email })?.id : undefined)
      if (!profileId) throw new ApiError(404, 'not_found', 'Not found.', 'No such profile.')
      const event = store.recordEvent({
        metricName: body.metricName,
        profileId,
        properties: isRecord(body.properties) ? body.properties : {},
        time: typeof body.time === 'string' || typeof body.time === 'number' ? body.time : undefined,
      })
      sendJson(res, 201, event)
    } else if ((method === 'GET' || method === 'POST') && /^\/_\/(profiles|events|metrics|requests|reset)$/.test(p)) {
      sendJson(res, 405, new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${method}" not allowed.`).body())
    } else sendJson(res, 404, new ApiError(404, 'not_found', 'Not found.', `No endpoint ${u.pathname}.`).body())
    return res.statusCode
  }

  // ---- dispatch ------------------------------------------------------------------------------

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    applyCors(req, res)
    const method = (req.method ?? 'GET').toUpperCase()
    if (method === 'OPTIONS') {
      answerPreflight(req, res)
      return
    }
    const u = new URL(req.url ?? '/', 'http://klaviyo.invalid')
    const base = requestOrigin(req, fallbackOrigin)
    const clientMatch = /^\/client\/(profiles|subscriptions|events)\/?$/.exec(u.pathname)
    const api: KlaviyoRequestLogEntry['api'] = clientMatch ? 'client' : u.pathname.startsWith('/api/') ? 'server' : 'other'
    const entry: KlaviyoRequestLogEntry = { api, method, path: u.pathname, query: queryObject(u), status: 0, at: new Date().toISOString() }
    log.push(entry)
    try {
      if (clientMatch) {
        if (method !== 'POST') throw Object.assign(new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${method}" not allowed.`), { allow: 'POST, OPTIONS' })
        entry.status = await handleClient(req, res, u, clientMatch[1] as 'profiles' | 'subscriptions' | 'events')
      } else if (api === 'server') {
        entry.status = await handleServer(req, res, u, base)
      } else if (u.pathname.startsWith('/_/')) {
        entry.status = await handleInspect(req, res, u)
      } else if (u.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
        sendJson(res, 200, { ok: true, service: 'mailstitch klaviyo emulator' })
        entry.status = 200
      } else {
        throw new ApiError(404, 'not_found', 'Not found.', `No endpoint ${method} ${u.pathname} in the emulator.`)
      }
    } catch (err) {
      req.resume()
      if (err instanceof ApiError) {
        const allowHeader = (err as ApiError & { allow?: string }).allow
        sendError(res, err, allowHeader ? { Allow: allowHeader } : {})
        entry.status = err.status
      } else if (err instanceof DuplicateProfileError) {
        const e = new ApiError(409, 'duplicate_profile', 'Conflict.', err.message, { pointer: `/data/attributes/${err.field}` }, { duplicate_profile_id: err.duplicateProfileId })
        sendError(res, e)
        entry.status = 409
      } else {
        throw err
      }
    }
  }

  const server = createServer(handle, (res, err) => sendJson(res, 500, new ApiError(500, 'error', 'A server error occurred.', err instanceof Error ? err.message : 'internal error').body(), {}, JSONAPI))
  const where = await listen(server, opts)
  fallbackOrigin = where.url

  const emulator: KlaviyoEmulator = {
    url: where.url,
    port: where.port,
    store,
    close: () => closeServer(server),
    requests: () => [...accepted],
    requestLog: () => [...log],
    serverRequests: () => log.filter((e) => e.api === 'server'),
    setFault(spec) {
      faultScope = spec.scope ?? 'server'
      faults.set(spec)
    },
    clearFault: () => faults.clear(),
    setLatency: (ms) => faults.setLatency(ms),
    reset() {
      store.reset()
      accepted = []
      log = []
      faults.clear()
      faults.setLatency(0)
    },
  }
  return emulator
}
