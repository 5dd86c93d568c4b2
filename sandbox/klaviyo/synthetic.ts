/**
 * Synthetic data (bench mode): profiles and events derived from their index, nothing stored per
 * event, so benchmarks can page through millions of events with flat memory.
 */
import { klaviyoDatetime } from './ids'
import { blankProfile } from './profile'
import type { EventKey, EventQuery, KlaviyoEvent, KlaviyoProfile } from './types'

/** A synthetic seed: counts, metric pattern and timing. */
export interface SyntheticState {
  profiles: number
  events: number
  pattern: string[]
  /** Metric id for each pattern slot. */
  patternIds: string[]
  startMs: number
  spacingMs: number
}

/** A synthetic profile id. */
export const SYN_PROFILE_RE = /^SYN([0-9A-Z]{23})$/
/** A synthetic event id. */
export const SYN_EVENT_RE = /^S([0-9a-z]{10})$/
/** A synthetic profile's email. */
export const SYN_EMAIL_RE = /^synthetic\.(\d+)@example\.com$/
/** A synthetic profile's external_id. */
export const SYN_EXTERNAL_RE = /^syn-user-(\d+)$/
/** A synthetic profile's anonymous_id. */
export const SYN_ANON_RE = /^syn-anon-(\d+)$/

/** Id of synthetic profile j. */
export function synProfileId(j: number): string {
  return 'SYN' + j.toString(36).toUpperCase().padStart(23, '0')
}
/** Id of synthetic event i. */
export function synEventId(i: number): string {
  return 'S' + i.toString(36).padStart(10, '0')
}

/** A synthetic seed: generates profile j and event i on demand. */
export class SyntheticData {
  constructor(
    readonly s: SyntheticState,
    private readonly accountId: string,
  ) {}

  /** Number of synthetic profiles. */
  get profiles(): number {
    return this.s.profiles
  }

  /** Number of synthetic events. */
  get events(): number {
    return this.s.events
  }

  /** Synthetic profile by id, if the id names one. */
  profileById(id: string): KlaviyoProfile | undefined {
    const m = SYN_PROFILE_RE.exec(id)
    const j = m ? parseInt(m[1], 36) : -1
    return j >= 0 && j < this.s.profiles ? this.profile(j) : undefined
  }

  /** Synthetic event by id, if the id names one. */
  eventById(id: string): KlaviyoEvent | undefined {
    const m = SYN_EVENT_RE.exec(id)
    const i = m ? parseInt(m[1], 36) : -1
    return i >= 0 && i < this.s.events ? this.event(i) : undefined
  }

  /** Second-precision time (ms) of event i. */
  time(i: number): number {
    const s = this.s
    return Math.floor((s.startMs + i * s.spacingMs) / 1000) * 1000
  }

  /** Synthetic profile j. */
  profile(j: number): KlaviyoProfile {
    const s = this.s
    const created = klaviyoDatetime(s.startMs)
    const properties: Record<string, unknown> = { synthetic: true }
    if (j % 4 !== 3) properties.segment_anonymous_id = `syn-anon-${j}`
    return {
      ...blankProfile(synProfileId(j), `syn${j}.${this.accountId}`, created),
      email: `synthetic.${j}@example.com`,
      external_id: j % 5 === 0 ? `syn-user-${j}` : null,
      anonymous_id: j % 4 !== 3 ? `syn-anon-${j}` : null,
      first_name: `Synth${j}`,
      properties,
    }
  }

  /** Synthetic event i. */
  event(i: number): KlaviyoEvent {
    const s = this.s
    const t = this.time(i)
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
  private first(pred: (i: number) => boolean): number {
    let lo = 0
    let hi = this.s.events
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (pred(mid)) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /** Up to `want` synthetic events matching `q`, in query order. */
  scan(q: EventQuery, want: number): Array<{ t: number; e: KlaviyoEvent }> {
    const s = this.s
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
    const lo = this.first((i) => (q.gte === undefined || this.time(i) >= q.gte) && (q.gt === undefined || this.time(i) > q.gt))
    const hi = this.first((i) => (q.lt !== undefined && this.time(i) >= q.lt) || (q.lte !== undefined && this.time(i) > q.lte))
    const keyLess = (i: number, k: EventKey) => {
      const t = this.time(i)
      return t < k.t || (t === k.t && synEventId(i) < k.id)
    }
    const L = s.pattern.length
    const ok = (i: number) => (!slots || slots.has(i % L)) && (profileIdx === undefined || i % s.profiles === profileIdx)
    // Step over whole residue classes when a profile filter makes most indices irrelevant.
    const out: Array<{ t: number; e: KlaviyoEvent }> = []
    if (!q.descending) {
      let i = q.after ? Math.max(lo, this.first((x) => !keyLess(x, q.after!) && !(this.time(x) === q.after!.t && synEventId(x) === q.after!.id))) : lo
      const step = profileIdx !== undefined ? s.profiles : 1
      if (profileIdx !== undefined) i += (profileIdx - (i % s.profiles) + s.profiles) % s.profiles
      for (; i < hi && out.length < want; i += step) if (ok(i)) out.push({ t: this.time(i), e: this.event(i) })
    } else {
      let i = hi - 1
      if (q.after) i = Math.min(i, this.first((x) => !keyLess(x, q.after!)) - 1)
      const step = profileIdx !== undefined ? s.profiles : 1
      if (profileIdx !== undefined && i >= 0) i -= (i % s.profiles - profileIdx + s.profiles) % s.profiles
      for (; i >= lo && out.length < want; i -= step) if (ok(i)) out.push({ t: this.time(i), e: this.event(i) })
    }
    return out
  }
}
