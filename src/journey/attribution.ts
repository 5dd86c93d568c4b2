/** Marketing touches of a visitor (email click, landing, UTM, referrer, new visit) and first-/last-touch attribution of an order. */
import { EMAIL_LINK_CLICKED, EMAIL_LINK_LANDED } from '../shared/email-events'
import { recordOf as rec } from '../shared/json'
import { DeviceRegistry, pageHost, siteHostsOf } from './devices'
import { byTime, isEmailEvent, str, type JEvent } from './events'

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
type TouchVia = 'email-click' | 'link-landing' | 'utm' | 'referrer' | 'new-visit'

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

const MIN = 60_000
/** Touches older than this before an order are not credited. */
const DEFAULT_LOOKBACK_MS = 30 * 24 * 60 * MIN
/** A new visit on a device starts after this much inactivity. */
const DEFAULT_SESSION_GAP_MS = 30 * MIN
/** An email click, its landing and the landing page's UTM are one touch when this close. */
const SAME_CLICK_MS = 10 * MIN

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

/** Options of {@link touchesOf}. */
export interface TouchOptions {
  /** A new visit on a device starts after this much inactivity (default {@link DEFAULT_SESSION_GAP_MS}). */
  sessionGapMs?: number
  /** Device registry that tells devices apart (default: a new one). */
  devices?: DeviceRegistry
  /**
   * Hosts (`host` or `host:port`) of the store itself: a referrer on one of them is navigation
   * inside the store, not a referral (default: every host the events' pages were on).
   */
  siteHosts?: readonly string[]
}

/** The marketing touches of one visitor's time-ordered events. */
export function touchesOf(events: readonly JEvent[], options: TouchOptions = {}): Touch[] {
  const sessionGapMs = options.sessionGapMs ?? DEFAULT_SESSION_GAP_MS
  const devices = options.devices ?? new DeviceRegistry()
  const siteHosts = options.siteHosts ?? siteHostsOf(events)
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
    if (isEmailEvent(e) && e.event === EMAIL_LINK_CLICKED) {
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
    if (e.type === 'track' && e.event === EMAIL_LINK_LANDED) {
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
    const ref = referrerHost(e, siteHosts)
    if (ref) {
      add({ channel: 'referral', via: 'referrer', evidence: ['referrer'], time: e.time, referrer: ref, entryId: e.messageId })
      continue
    }
    if (starting) add({ channel: 'direct', via: 'new-visit', evidence: ['new-visit'], time: e.time, entryId: e.messageId })
  }
  return touches
}

function referrerHost(e: JEvent, siteHosts: readonly string[]): string | undefined {
  const page = rec(e.context.page)
  const ref = str(page.referrer)
  if (!ref) return undefined
  try {
    const r = new URL(ref)
    if (r.host === pageHost(e) || siteHosts.includes(r.host)) return undefined
    return r.host || undefined
  } catch {
    return undefined
  }
}

/** First/last-touch attribution of an order at `orderTime` given the visitor's touches. */
export function attribute(touches: readonly Touch[], orderTime: number, lookbackMs = DEFAULT_LOOKBACK_MS): Omit<OrderAttribution, 'orderId' | 'revenue' | 'currency'> {
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
