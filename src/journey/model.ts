/**
 * The journey model: per-visitor timelines over Segment events, the stitch points mailstitch
 * created, first-/last-touch attribution of each `Order Completed`, and the same data as it would
 * look without mailstitch. Pure functions of the events: no I/O, no clock.
 */
import { EMAIL_EVENTS, isRecord, str, type EventSource, type JEvent } from './events'

/** A browser/device seen in site events (global numbering, shared by both views). */
export interface Device {
  /** `D1`, `D2`, … in order of first appearance. */
  id: string
  /** Host of the pages (e.g. `localhost:8780`). */
  host?: string
  /** Browser and major version from the user agent (e.g. `Chrome 131`). */
  browser?: string
}

/** A point where mailstitch joined identities. */
export type StitchKind = 'email-captured' | 'link-adopted' | 'link-same' | 'link-kept'

export interface Stitch {
  kind: StitchKind
  label: string
}

/** One marketing touch on the way to an order. */
export interface Touch {
  /** `email`, `direct`, `referral`, or a `utm_medium`/`utm_source` value. */
  channel: string
  /** How the touch was seen first; `evidence` lists everything merged into it. */
  via: TouchVia
  evidence: TouchVia[]
  time: number
  /** Campaign name (relayed `campaign_name`, or `utm_campaign`). */
  campaign?: string
  /** Referrer host for `referral`. */
  referrer?: string
  /** messageId of the entry that made the touch. */
  entryId: string
}

/** Where a touch came from. */
export type TouchVia = 'email-click' | 'link-landing' | 'utm' | 'referrer' | 'new-visit'

/** Attribution of one `Order Completed`. */
export interface OrderAttribution {
  orderId?: string
  revenue?: number
  currency?: string
  firstTouch?: Touch
  lastTouch?: Touch
  /** Whether the first/last touch is email. */
  email: { first: boolean; last: boolean }
  /** True when an email click (relayed `Email Link Clicked`, or an adopted/same landing) preceded the order. */
  emailClick: boolean
}

/** One row of a timeline. */
export interface Entry {
  id: string
  time: number
  iso: string
  source: EventSource
  type: string
  /** Short label: event name, `Page`, `Identify`. */
  title: string
  /** One line of what matters in it (path, campaign, subject, revenue, outcome…). */
  detail?: string
  /** Device id (site events). */
  device?: string
  /** A relayed email event. */
  email?: boolean
  stitch?: Stitch
  order?: OrderAttribution
  anonymousId?: string
  userId?: string
  properties: Record<string, unknown>
}

/** How a visitor is keyed. */
export type VisitorKey = 'anonymousId' | 'userId' | 'klaviyo' | 'email'

export interface Visitor {
  /** The key events were grouped on (an anonymousId, `user:<userId>`, `klaviyo:<id>`, `email:<address>`). */
  id: string
  keyedBy: VisitorKey
  anonymousId?: string
  userIds: string[]
  emails: string[]
  devices: string[]
  entries: Entry[]
  stitches: Entry[]
  orders: Entry[]
  siteEvents: number
  emailEvents: number
  /** Email events of a visitor with no site events: nobody's browsing they can be joined to. */
  orphanedEmailEvents: number
  /** Why this visitor looks the way it does (set by {@link withoutMailstitch}). */
  note?: string
}

export interface Journey {
  visitors: Visitor[]
  devices: Device[]
  totals: {
    events: number
    visitors: number
    emailEvents: number
    orphanedEmailEvents: number
    orders: number
    /** Orders whose first / last touch is email. */
    emailFirstTouch: number
    emailLastTouch: number
    /** Orders preceded by an email click. */
    emailClickOrders: number
  }
}

export interface JourneyOptions {
  /** Device registry to number devices with (default: built from `events`). */
  devices?: DeviceRegistry
  /** Touches older than this before an order are not credited (default 30 days). */
  lookbackMs?: number
  /** A new visit on a device starts after this much inactivity (default 30 min). */
  sessionGapMs?: number
  /** Notes to attach to visitors by id. */
  notes?: ReadonlyMap<string, string>
}

const MIN = 60_000
const DEFAULT_LOOKBACK = 30 * 24 * 60 * MIN
const DEFAULT_SESSION_GAP = 30 * MIN
/** An email click, its landing and the landing page's UTM are one touch when this close. */
const SAME_CLICK_MS = 10 * MIN

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {})

/** Email lifecycle order, for events Klaviyo stamped with the same second. */
const LIFECYCLE: Record<string, number> = { 'Email Delivered': 1, 'Email Opened': 2, 'Email Link Clicked': 3, 'Email Bounced': 1, 'Email Marked as Spam': 4, Unsubscribed: 4 }

/** Sort by time, then email lifecycle (Klaviyo times have second precision), then input order. */
export function byTime(a: JEvent, b: JEvent): number {
  return a.time - b.time || (LIFECYCLE[a.event ?? ''] ?? 0) - (LIFECYCLE[b.event ?? ''] ?? 0) || a.index - b.index
}

// ---------------------------------------------------------------- devices

/** Numbered devices, keyed by page host + user agent. */
export class DeviceRegistry {
  private readonly byKey = new Map<string, Device>()

  constructor(events: readonly JEvent[] = []) {
    for (const e of [...events].sort(byTime)) this.of(e)
  }

  /** The device of a site event (registering it), or undefined for events without a page. */
  of(e: JEvent): Device | undefined {
    if (e.source !== 'site') return undefined
    const host = pageHost(e)
    const ua = str(e.context.userAgent) ?? ''
    if (!host && !ua) return undefined
    const key = `${host ?? ''}|${ua}`
    let d = this.byKey.get(key)
    if (!d) {
      d = { id: `D${this.byKey.size + 1}` }
      if (host) d.host = host
      const browser = browserOf(ua)
      if (browser) d.browser = browser
      this.byKey.set(key, d)
    }
    return d
  }

  list(): Device[] {
    return [...this.byKey.values()]
  }
}

function pageHost(e: JEvent): string | undefined {
  const url = str(rec(e.context.page).url) ?? str(e.properties.url)
  if (!url) return undefined
  try {
    return new URL(url).host || undefined
  } catch {
    return undefined
  }
}

/** `Chrome 131`, `Firefox 128`, `Safari 17`, … from a user agent. */
export function browserOf(ua: string): string | undefined {
  const m =
    /(Edg|OPR|Firefox|HeadlessChrome|Chrome|CriOS|FxiOS)\/(\d+)/.exec(ua) ??
    (/Version\/(\d+).*Safari\//.test(ua) ? ['', 'Safari', /Version\/(\d+)/.exec(ua)![1]] : null)
  if (!m) return undefined
  const names: Record<string, string> = { Edg: 'Edge', OPR: 'Opera', HeadlessChrome: 'Chrome', CriOS: 'Chrome', FxiOS: 'Firefox' }
  const os = /iPhone|iPad/.test(ua) ? ' (iOS)' : /Android/.test(ua) ? ' (Android)' : ''
  return `${names[m[1]!] ?? m[1]} ${m[2]}${os}`
}

// ---------------------------------------------------------------- entries

function isEmailEvent(e: JEvent): boolean {
  return e.source === 'relay' && e.type === 'track' && !!e.event && EMAIL_EVENTS.includes(e.event)
}

function pathOf(e: JEvent): string | undefined {
  const page = rec(e.context.page)
  const path = str(page.path) ?? str(e.properties.path)
  if (path) return path
  const url = str(page.url) ?? str(e.properties.url)
  if (!url) return undefined
  try {
    return new URL(url).pathname
  } catch {
    return undefined
  }
}

/** `utm_*` of an event: `context.campaign` (analytics.js parses it), else the page's query. */
export function campaignOf(e: JEvent): { source?: string; medium?: string; name?: string } | undefined {
  const c = rec(e.context.campaign)
  let source = str(c.source)
  let medium = str(c.medium)
  let name = str(c.name)
  if (!source && !medium) {
    const page = rec(e.context.page)
    const search = str(page.search) ?? str(e.properties.search)
    if (search) {
      const q = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search)
      source = q.get('utm_source') || undefined
      medium = q.get('utm_medium') || undefined
      name = q.get('utm_campaign') || undefined
    }
  }
  if (!source && !medium) return undefined
  return { source, medium, name }
}

function money(v: unknown, currency?: string): string | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  if (!Number.isFinite(n)) return undefined
  return `${n.toFixed(2)}${currency ? ' ' + currency : ''}`
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  return Number.isFinite(n) ? n : undefined
}

function emailOfEvent(e: JEvent): string | undefined {
  return str(e.traits.email) ?? str(rec(e.context.traits).email)
}

function linkPath(u: string | undefined): string | undefined {
  if (!u) return undefined
  try {
    const url = new URL(u)
    return url.pathname + (url.hash || '')
  } catch {
    return u
  }
}

function describe(e: JEvent): { title: string; detail?: string } {
  const p = e.properties
  const join = (...xs: (string | undefined)[]) => xs.filter(Boolean).join(' · ') || undefined
  if (e.type === 'page' || e.type === 'screen') {
    const c = campaignOf(e)
    const utm = c ? `utm ${[c.source, c.medium, c.name].filter(Boolean).join(' / ')}` : undefined
    return { title: e.type === 'page' ? 'Page' : 'Screen', detail: join(pathOf(e) ?? e.name, utm) }
  }
  if (e.type === 'identify') return { title: 'Identify', detail: join(emailOfEvent(e), e.userId && `userId ${e.userId}`) }
  if (e.type !== 'track') return { title: e.type[0]!.toUpperCase() + e.type.slice(1) }
  const name = e.event ?? 'track'
  switch (name) {
    case 'Email Delivered':
    case 'Email Opened':
    case 'Email Bounced':
    case 'Email Marked as Spam':
    case 'Unsubscribed':
      return { title: name, detail: join(str(p.campaign_name), str(p.email_subject) && `“${str(p.email_subject)}”`) }
    case 'Email Link Clicked':
      return { title: name, detail: join(str(p.campaign_name), linkPath(str(p.link_url))) }
    case 'Email Captured':
      return { title: name, detail: join(emailOfEvent(e), str(p.source)) }
    case 'Email Link Landed':
      return { title: name, detail: join(str(p.outcome), str(p.previous_anonymous_id) && `was ${str(p.previous_anonymous_id)}`) }
    case 'Order Completed': {
      const products = Array.isArray(p.products) ? p.products.length : undefined
      const currency = str(p.currency)
      return {
        title: name,
        detail: join(str(p.order_id) && `#${str(p.order_id)}`, money(p.revenue ?? p.total, currency), products !== undefined ? `${products} item${products === 1 ? '' : 's'}` : undefined),
      }
    }
    case 'Product Viewed':
    case 'Product Added':
    case 'Product Removed':
    case 'Product Clicked':
      return { title: name, detail: join(str(p.name) ?? str(p.product_id), money(p.price, str(p.currency))) }
    default:
      return { title: name, detail: str(p.name) ?? str(p.source) }
  }
}

function stitchOf(e: JEvent, device: Device | undefined): Stitch | undefined {
  if (e.type !== 'track' || e.source !== 'site') return undefined
  if (e.event === 'Email Captured') {
    const email = emailOfEvent(e)
    return { kind: 'email-captured', label: `Email captured${email ? ` (${email})` : ''}: this visitor's id becomes the bridge id on the Klaviyo profile` }
  }
  if (e.event === 'Email Link Landed') {
    const outcome = str(e.properties.outcome)
    const on = device ? ` on ${device.id}` : ''
    if (outcome === 'adopted') {
      const prev = str(e.properties.previous_anonymous_id)
      return { kind: 'link-adopted', label: `Email link opened${on}: the browser adopted the bridge id${prev ? ` (was ${prev})` : ''}` }
    }
    if (outcome === 'same') return { kind: 'link-same', label: `Email link opened${on} in the browser that subscribed` }
    if (outcome === 'kept') return { kind: 'link-kept', label: `Email link opened${on} in an identified browser: identity kept` }
  }
  return undefined
}

// ---------------------------------------------------------------- attribution

/** The marketing touches of one visitor's time-ordered events. */
export function touchesOf(events: readonly JEvent[], sessionGapMs = DEFAULT_SESSION_GAP, devices = new DeviceRegistry()): Touch[] {
  const touches: Touch[] = []
  const lastSeen = new Map<string, number>()
  const visitStarting = new Set<string>()
  const add = (t: Touch) => {
    const prev = touches[touches.length - 1]
    if (prev && prev.channel === 'email' && t.channel === 'email' && t.time - prev.time <= SAME_CLICK_MS) {
      // The click, its landing and the landing page's UTM: one touch, told by its best evidence.
      if (!prev.evidence.includes(t.via)) prev.evidence.push(t.via)
      prev.campaign ??= t.campaign
      return
    }
    touches.push(t)
  }
  for (const e of [...events].sort(byTime)) {
    if (isEmailEvent(e) && e.event === 'Email Link Clicked') {
      add({ channel: 'email', via: 'email-click', evidence: ['email-click'], time: e.time, campaign: str(e.properties.campaign_name), entryId: e.messageId })
      continue
    }
    if (e.source !== 'site') continue
    // A visit starts with a device's first event, or its first after a long pause; the first page
    // of the visit says where it came from.
    const device = devices.of(e)?.id ?? ''
    const prevSeen = lastSeen.get(device)
    lastSeen.set(device, e.time)
    if (prevSeen === undefined || e.time - prevSeen >= sessionGapMs) visitStarting.add(device)
    if (e.type === 'track' && e.event === 'Email Link Landed') {
      const outcome = str(e.properties.outcome)
      if (outcome === 'adopted' || outcome === 'same') add({ channel: 'email', via: 'link-landing', evidence: ['link-landing'], time: e.time, entryId: e.messageId })
      continue
    }
    if (e.type !== 'page') continue
    const starting = visitStarting.delete(device)
    const c = campaignOf(e)
    if (c) {
      const channel = (c.medium ?? c.source)!.toLowerCase() === 'email' ? 'email' : (c.medium ?? c.source)!
      add({ channel, via: 'utm', evidence: ['utm'], time: e.time, campaign: c.name, entryId: e.messageId })
      continue
    }
    const ref = referrerHost(e)
    if (ref) {
      add({ channel: 'referral', via: 'referrer', evidence: ['referrer'], time: e.time, referrer: ref, entryId: e.messageId })
      continue
    }
    if (starting) add({ channel: 'direct', via: 'new-visit', evidence: ['new-visit'], time: e.time, entryId: e.messageId })
  }
  return touches
}

function referrerHost(e: JEvent): string | undefined {
  const page = rec(e.context.page)
  const ref = str(page.referrer)
  if (!ref) return undefined
  try {
    const r = new URL(ref)
    const here = pageHost(e)
    if (here && r.host === here) return undefined
    // The other demo host name is the same store, not a referral.
    if (here && r.port && here.endsWith(':' + r.port) && /^(localhost|127\.0\.0\.1)$/.test(r.hostname)) return undefined
    return r.host || undefined
  } catch {
    return undefined
  }
}

/** First/last-touch attribution of an order at `orderTime` given the visitor's touches. */
export function attribute(touches: readonly Touch[], orderTime: number, lookbackMs = DEFAULT_LOOKBACK): Omit<OrderAttribution, 'orderId' | 'revenue' | 'currency'> {
  const before = touches.filter((t) => t.time <= orderTime && orderTime - t.time <= lookbackMs)
  const firstTouch = before[0]
  const nonDirect = before.filter((t) => t.channel !== 'direct')
  // Last non-direct touch, the usual "last click" convention; direct only when nothing else.
  const lastTouch = nonDirect[nonDirect.length - 1] ?? before[before.length - 1]
  return {
    firstTouch,
    lastTouch,
    email: { first: firstTouch?.channel === 'email', last: lastTouch?.channel === 'email' },
    emailClick: before.some((t) => t.evidence.includes('email-click') || t.evidence.includes('link-landing')),
  }
}

// ---------------------------------------------------------------- journeys

function visitorKey(e: JEvent): { id: string; keyedBy: VisitorKey } {
  const a = e.anonymousId
  if (a) {
    if (a.startsWith('klaviyo:')) return { id: a, keyedBy: 'klaviyo' }
    if (a.startsWith('email:')) return { id: a, keyedBy: 'email' }
    return { id: a, keyedBy: 'anonymousId' }
  }
  return { id: `user:${e.userId}`, keyedBy: 'userId' }
}

/** Timelines per visitor (anonymousId), stitch points and order attribution. */
export function buildJourney(events: readonly JEvent[], options: JourneyOptions = {}): Journey {
  const devices = options.devices ?? new DeviceRegistry(events)
  const groups = new Map<string, { keyedBy: VisitorKey; events: JEvent[] }>()
  for (const e of [...events].sort(byTime)) {
    const k = visitorKey(e)
    let g = groups.get(k.id)
    if (!g) groups.set(k.id, (g = { keyedBy: k.keyedBy, events: [] }))
    g.events.push(e)
  }
  const visitors: Visitor[] = []
  for (const [id, g] of groups) {
    const touches = touchesOf(g.events, options.sessionGapMs, devices)
    const v: Visitor = {
      id,
      keyedBy: g.keyedBy,
      userIds: [],
      emails: [],
      devices: [],
      entries: [],
      stitches: [],
      orders: [],
      siteEvents: 0,
      emailEvents: 0,
      orphanedEmailEvents: 0,
    }
    if (g.keyedBy === 'anonymousId') v.anonymousId = id
    for (const e of g.events) {
      const device = devices.of(e)
      const { title, detail } = describe(e)
      const entry: Entry = { id: e.messageId, time: e.time, iso: new Date(e.time).toISOString(), source: e.source, type: e.type, title, properties: e.properties }
      if (detail) entry.detail = detail
      if (device) {
        entry.device = device.id
        if (!v.devices.includes(device.id)) v.devices.push(device.id)
      }
      if (e.anonymousId) entry.anonymousId = e.anonymousId
      if (e.userId) {
        entry.userId = e.userId
        if (!v.userIds.includes(e.userId)) v.userIds.push(e.userId)
      }
      const email = emailOfEvent(e)?.toLowerCase()
      if (email && !v.emails.includes(email)) v.emails.push(email)
      if (isEmailEvent(e)) {
        entry.email = true
        v.emailEvents++
      } else if (e.source === 'site') {
        v.siteEvents++
      }
      const stitch = stitchOf(e, device)
      if (stitch) {
        entry.stitch = stitch
        v.stitches.push(entry)
      }
      if (e.type === 'track' && e.event === 'Order Completed') {
        const currency = str(e.properties.currency)
        entry.order = { ...attribute(touches, e.time, options.lookbackMs) }
        const orderId = str(e.properties.order_id)
        const revenue = num(e.properties.revenue ?? e.properties.total)
        if (orderId) entry.order.orderId = orderId
        if (revenue !== undefined) entry.order.revenue = revenue
        if (currency) entry.order.currency = currency
        v.orders.push(entry)
      }
      v.entries.push(entry)
    }
    if (v.siteEvents === 0) v.orphanedEmailEvents = v.emailEvents
    const note = options.notes?.get(id)
    if (note) v.note = note
    else if (v.orphanedEmailEvents) v.note = `email events with no browsing to join: keyed by ${v.keyedBy === 'anonymousId' ? 'an id no site event carries' : v.keyedBy === 'userId' ? 'a userId no site event carries' : v.keyedBy === 'email' ? 'email address' : 'Klaviyo profile id'} only`
    visitors.push(v)
  }
  const orders = visitors.flatMap((v) => v.orders)
  return {
    visitors,
    devices: devices.list(),
    totals: {
      events: events.length,
      visitors: visitors.length,
      emailEvents: visitors.reduce((n, v) => n + v.emailEvents, 0),
      orphanedEmailEvents: visitors.reduce((n, v) => n + v.orphanedEmailEvents, 0),
      orders: orders.length,
      emailFirstTouch: orders.filter((o) => o.order!.email.first).length,
      emailLastTouch: orders.filter((o) => o.order!.email.last).length,
      emailClickOrders: orders.filter((o) => o.order!.emailClick).length,
    },
  }
}

// ---------------------------------------------------------------- without mailstitch

/** Key prefix of a visitor id that was never sent: the id a fresh browser would have had without mailstitch. */
export const NEW_ID_PREFIX = 'new:'

/** How far before an adopted landing the same device's events may be (the landing page's own page call). */
const ADOPTION_SLACK_MS = 5_000

export interface Unstitched {
  /** The events as Segment and Klaviyo would have keyed them on their own. */
  events: JEvent[]
  /** Events mailstitch itself sent (capture identify, `Email Captured`, `Email Link Landed`), left out. */
  dropped: number
  /** Relayed email events re-keyed to Klaviyo's own key (profile id or email). */
  rekeyedEmail: number
  /** Site events given back to the anonymousId their device had before it adopted a bridge id. */
  rekeyedSite: number
  /** Visitor ids and why they look as they do. */
  notes: Map<string, string>
}

/** Events sent by mailstitch itself, which a site without it would not send. */
export function isMailstitchEvent(e: JEvent): boolean {
  if (e.source !== 'site') return false
  if (e.messageId.startsWith('mst-')) return true // capture identify and Email Captured
  return e.type === 'track' && e.event === 'Email Link Landed'
}

/**
 * The same events keyed only by what Segment and Klaviyo send on their own:
 * - relayed email events keyed by the Klaviyo profile (profile id, else email), not the bridge id;
 * - a device that adopted a bridge id from an email link keeps the anonymousId it had
 *   (`previous_anonymous_id` of its landing) for everything it sent from then on;
 * - mailstitch's own events are left out.
 */
export function withoutMailstitch(events: readonly JEvent[], devices = new DeviceRegistry(events)): Unstitched {
  const notes = new Map<string, string>()
  const adoptions: Array<{ to: string; from: string; device: string; time: number }> = []
  for (const e of events) {
    if (e.source !== 'site' || e.type !== 'track' || e.event !== 'Email Link Landed' || e.properties.outcome !== 'adopted' || !e.anonymousId) continue
    const device = devices.of(e)?.id ?? '?'
    // A browser that never ran analytics.js before has no previous id: mailstitch adopted the bridge
    // id before analytics.js made one. Without mailstitch it would have made a new random one.
    const prev = str(e.properties.previous_anonymous_id)
    const from = prev ?? `${NEW_ID_PREFIX}${e.messageId}`
    adoptions.push({ to: e.anonymousId, from, device, time: e.time })
    notes.set(
      from,
      `a stranger: the email link opened on ${device}, which without mailstitch keeps ${prev ? 'its own anonymousId' : 'the new anonymousId analytics.js would have made'}; nothing joins it to the subscriber`,
    )
  }
  adoptions.sort((a, b) => b.time - a.time) // latest first
  const out: JEvent[] = []
  let dropped = 0
  let rekeyedEmail = 0
  let rekeyedSite = 0
  for (const e of events) {
    if (isMailstitchEvent(e)) {
      dropped++
      continue
    }
    if (e.source === 'relay') {
      const profileId = str(e.properties.klaviyo_profile_id)
      const email = str(rec(e.context.traits).email)?.toLowerCase()
      const key = profileId ? `klaviyo:${profileId}` : email ? `email:${email}` : e.anonymousId?.startsWith('klaviyo:') ? e.anonymousId : undefined
      const copy: JEvent = { ...e }
      delete copy.userId // Klaviyo only knows an external_id because mailstitch wrote one
      if (key) copy.anonymousId = key
      else delete copy.anonymousId
      if (!copy.anonymousId) copy.anonymousId = `klaviyo:unknown-${e.messageId}`
      if (copy.anonymousId !== e.anonymousId) rekeyedEmail++
      if (isEmailEvent(copy)) notes.set(copy.anonymousId, `orphaned: Klaviyo sends its email events keyed by ${email ?? 'its own profile'}, an id no site event carries`)
      out.push(copy)
      continue
    }
    const device = devices.of(e)?.id
    const a = device && adoptions.find((x) => x.to === e.anonymousId && x.device === device && e.time >= x.time - ADOPTION_SLACK_MS)
    if (a) {
      out.push({ ...e, anonymousId: a.from })
      rekeyedSite++
      continue
    }
    out.push(e)
  }
  return { events: out, dropped, rekeyedEmail, rekeyedSite, notes }
}

/** Both views over the same events, devices numbered alike. */
export interface Comparison {
  with: Journey
  without: Journey
  unstitched: Omit<Unstitched, 'events' | 'notes'>
}

export function compareJourneys(events: readonly JEvent[], options: Omit<JourneyOptions, 'devices' | 'notes'> = {}): Comparison {
  const devices = new DeviceRegistry(events)
  const un = withoutMailstitch(events, devices)
  return {
    with: buildJourney(events, { ...options, devices }),
    without: buildJourney(un.events, { ...options, devices, notes: un.notes }),
    unstitched: { dropped: un.dropped, rekeyedEmail: un.rekeyedEmail, rekeyedSite: un.rekeyedSite },
  }
}
