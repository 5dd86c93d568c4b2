/**
 * Test helper: Segment events as the journey model reads them, built tersely — a site event as
 * analytics.js sends it from the demo store, an email event as the relay sends it.
 */
import { readEvents, type JEvent } from '../../src/journey/events'

/** Time origin of the built events. */
export const T0 = Date.parse('2026-03-02T10:00:00Z')
/** ISO time `s` seconds after {@link T0}. */
export const at = (s: number): string => new Date(T0 + s * 1000).toISOString()
/** A desktop Chrome user agent. */
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
let n = 0

/** What a site event may override. */
export interface SiteEventOptions {
  type?: string
  event?: string
  url?: string
  props?: Record<string, unknown>
  traits?: Record<string, unknown>
  ctx?: Record<string, unknown>
  messageId?: string
  ua?: string
  referrer?: string
  userId?: string
}

/** An analytics.js event of `anon` at second `s` (a track unless `o.type` says otherwise). */
export function siteEvent(anon: string, s: number, o: SiteEventOptions): Record<string, unknown> {
  const url = o.url ?? 'http://127.0.0.1:8780/'
  const u = new URL(url)
  return {
    type: o.type ?? 'track',
    ...(o.event ? { event: o.event } : {}),
    messageId: o.messageId ?? `ajs-${++n}`,
    anonymousId: anon,
    ...(o.userId ? { userId: o.userId } : {}),
    timestamp: at(s),
    properties: o.props ?? {},
    ...(o.traits ? { traits: o.traits } : {}),
    context: { page: { url, path: u.pathname, search: u.search, referrer: o.referrer ?? '' }, userAgent: o.ua ?? UA, library: { name: 'analytics.js', version: 'next-1.84.3' }, ...o.ctx },
  }
}

/** A relayed email event keyed to `anon` at second `s`. */
export function relayEvent(anon: string, s: number, event: string, props: Record<string, unknown> = {}, email = 'ada@example.com'): Record<string, unknown> {
  return {
    type: 'track',
    event,
    messageId: `klaviyo-${++n}`,
    anonymousId: anon,
    timestamp: at(s),
    properties: { provider: 'Klaviyo', campaign_name: 'Spring Linen Drop', email_subject: 'Back', klaviyo_profile_id: '01PROFILE', ...props },
    context: { integration: { name: 'mailstitch-relay', version: '0.1.0' }, library: { name: '@segment/analytics-node' }, traits: { email } },
  }
}

/** Normalise built events; throws if any of them is not usable (a broken builder, not a test result). */
export function journeyEvents(list: unknown[]): JEvent[] {
  const r = readEvents(list)
  if (r.problems.length) throw new Error(`unusable test events: ${JSON.stringify(r.problems)}`)
  return r.events
}
