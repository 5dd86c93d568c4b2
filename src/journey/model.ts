/**
 * The journey model: per-visitor timelines over Segment events, the stitch points mailstitch
 * created, first-/last-touch attribution of each `Order Completed`, and the same data as it would
 * look without mailstitch. Pure functions of the events: no I/O, no clock. Devices, attribution,
 * labels and the "without" view live in modules of their own; this one groups events into visitors.
 */
import { attribute, touchesOf, type OrderAttribution } from './attribution'
import { DeviceRegistry, siteHostsOf, type Device } from './devices'
import { VISITOR_LINKED } from '../shared/email-events'
import { byTime, emailOf, isEmailEvent, numberOf, str, type EventSource, type JEvent } from './events'
import { describe, stitchOf, type Stitch } from './labels'
import { withoutMailstitch, type Unstitched } from './unstitched'

export type { Touch } from './attribution'
export type { Device } from './devices'
export { NEW_ID_PREFIX } from './unstitched'

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
type VisitorKey = 'anonymousId' | 'userId' | 'klaviyo' | 'email'

/** One visitor's timeline and what it adds up to. */
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

/** Every visitor's timeline over a set of events, with totals. */
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

/** Options of {@link buildJourney} and {@link compareJourneys}. */
export interface JourneyOptions {
  /** Device registry to number devices with (default: built from `events`). */
  devices?: DeviceRegistry
  /** Touches older than this before an order are not credited (default 30 days). */
  lookbackMs?: number
  /** A new visit on a device starts after this much inactivity (default 30 min). */
  sessionGapMs?: number
  /** Notes to attach to visitors by id. */
  notes?: ReadonlyMap<string, string>
  /**
   * Hosts (`host` or `host:port`) of the store itself, e.g. a store reachable under two names: a
   * referrer on one of them is not a referral (default: every host the events' pages were on).
   */
  siteHosts?: readonly string[]
}

function visitorKey(e: JEvent): { id: string; keyedBy: VisitorKey } {
  const a = e.anonymousId
  if (a) {
    if (a.startsWith('klaviyo:')) return { id: a, keyedBy: 'klaviyo' }
    if (a.startsWith('email:')) return { id: a, keyedBy: 'email' }
    return { id: a, keyedBy: 'anonymousId' }
  }
  return { id: `user:${e.userId}`, keyedBy: 'userId' }
}

/**
 * The ids `Visitor Linked` joins, as a warehouse joins them (docs/shopify.md, "How Segment joins
 * Visitor Linked"): each linked anonymousId → the bridge id it names, followed to its end.
 */
export function linkedIds(events: readonly JEvent[]): Map<string, string> {
  const direct = new Map<string, string>()
  for (const e of events) {
    const bridge = str(e.properties.bridge_id)
    if (e.type !== 'track' || e.event !== VISITOR_LINKED || !e.anonymousId || !bridge || bridge === e.anonymousId) continue
    if (!direct.has(e.anonymousId)) direct.set(e.anonymousId, bridge)
  }
  const resolved = new Map<string, string>()
  for (const from of direct.keys()) {
    let to = direct.get(from)!
    const seen = new Set([from])
    while (direct.has(to) && !seen.has(to)) {
      seen.add(to)
      to = direct.get(to)!
    }
    resolved.set(from, to)
  }
  return resolved
}

/** Timelines per visitor (anonymousId, joined through `Visitor Linked`), stitch points and order attribution. */
export function buildJourney(events: readonly JEvent[], options: JourneyOptions = {}): Journey {
  const devices = options.devices ?? new DeviceRegistry(events)
  const siteHosts = options.siteHosts ?? siteHostsOf(events)
  const links = linkedIds(events)
  const groups = new Map<string, { keyedBy: VisitorKey; events: JEvent[] }>()
  for (const e of [...events].sort(byTime)) {
    const linked = e.anonymousId ? links.get(e.anonymousId) : undefined
    const k = linked ? { id: linked, keyedBy: 'anonymousId' as const } : visitorKey(e)
    let g = groups.get(k.id)
    if (!g) groups.set(k.id, (g = { keyedBy: k.keyedBy, events: [] }))
    g.events.push(e)
  }
  const visitors: Visitor[] = []
  for (const [id, g] of groups) {
    const touches = touchesOf(g.events, { sessionGapMs: options.sessionGapMs, devices, siteHosts })
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
      const email = emailOf(e)?.toLowerCase()
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
        const revenue = numberOf(e.properties.revenue ?? e.properties.total)
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

/** Both views over the same events, devices numbered alike. */
export interface Comparison {
  with: Journey
  without: Journey
  unstitched: Omit<Unstitched, 'events' | 'notes'>
}

/** The journey with mailstitch and the same events without it, devices numbered alike. */
export function compareJourneys(events: readonly JEvent[], options: Omit<JourneyOptions, 'devices' | 'notes'> = {}): Comparison {
  const devices = new DeviceRegistry(events)
  const un = withoutMailstitch(events, devices)
  return {
    with: buildJourney(events, { ...options, devices }),
    without: buildJourney(un.events, { ...options, devices, notes: un.notes }),
    unstitched: { dropped: un.dropped, rekeyedEmail: un.rekeyedEmail, rekeyedSite: un.rekeyedSite },
  }
}
