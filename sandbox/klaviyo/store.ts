/** In-memory Klaviyo account state: profiles, metrics, events, list memberships. */
import { randomBytes, randomUUID } from 'node:crypto'
import { ALNUM, API_INTEGRATION, KLAVIYO_EMAIL_METRICS, KLAVIYO_INTEGRATION, klaviyoDatetime, nowIso, randomString, ulid } from './ids'
import { blankProfile } from './profile'
import { SYN_ANON_RE, SYN_EMAIL_RE, SYN_EXTERNAL_RE, SyntheticData } from './synthetic'
import { DuplicateProfileError, type EventKey, type EventQuery, type KlaviyoEvent, type KlaviyoListMembership, type KlaviyoMetric, type KlaviyoProfile, type ProfileAttributes, type RecordEventInput, type StoreChange, type SyntheticSeed } from './types'

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
  private syn: SyntheticData | null = null

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
    return this.syn?.profileById(id)
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
    if (synIndex !== undefined && this.syn && synIndex < this.syn.profiles) return this.syn!.profile(synIndex)
    return undefined
  }

  private newProfile(): KlaviyoProfile {
    return blankProfile(ulid(), `${randomBytes(16).toString('base64')}.${this.accountId}`, nowIso())
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
    return this.syn?.eventById(id)
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
    const syn = this.syn ? this.syn.scan(q, want) : []
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
    this.syn = new SyntheticData(
      {
        profiles,
        events,
        pattern,
        patternIds: pattern.map((n) => this.ensureMetric(n).id),
        startMs: (seed.start ?? new Date('2026-01-01T00:00:00Z')).getTime(),
        spacingMs,
      },
      this.accountId,
    )
  }

  /** The current synthetic seed, if any. */
  syntheticInfo(): { profiles: number; events: number; startMs: number; spacingMs: number } | null {
    const s = this.syn?.s
    return s ? { profiles: s.profiles, events: s.events, startMs: s.startMs, spacingMs: s.spacingMs } : null
  }

  /** Synthetic profile by position (0-based) for paging listings; undefined past the end. */
  syntheticProfileAt(j: number): KlaviyoProfile | undefined {
    return this.syn && j >= 0 && j < this.syn.profiles ? this.syn!.profile(j) : undefined
  }
}
