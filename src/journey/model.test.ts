import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseJsonl, readEvents, type JEvent } from './events'
import { NEW_ID_PREFIX, attribute, browserOf, buildJourney, byTime, compareJourneys, touchesOf, withoutMailstitch, type Journey } from './model'

// A journey recorded from the demo (npm run demo, walked by Playwright): browse on 127.0.0.1,
// subscribe in the footer, campaign delivered/opened/clicked, link opened on localhost (a fresh
// browser), add to cart, order. Ports normalised to 8780.
const fixture = parseJsonl(readFileSync(new URL('./fixtures/demo-journey.jsonl', import.meta.url), 'utf8'))

const T0 = Date.parse('2026-03-02T10:00:00Z')
const at = (s: number) => new Date(T0 + s * 1000).toISOString()
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
let n = 0

function site(anon: string, s: number, o: { type?: string; event?: string; url?: string; props?: Record<string, unknown>; traits?: Record<string, unknown>; ctx?: Record<string, unknown>; messageId?: string; ua?: string; referrer?: string; userId?: string }) {
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

function relay(anon: string, s: number, event: string, props: Record<string, unknown> = {}, email = 'ada@example.com') {
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

function events(list: unknown[]): JEvent[] {
  const r = readEvents(list)
  expect(r.problems).toEqual([])
  return r.events
}

const visitorsOf = (j: Journey) => j.visitors.map((v) => v.id)

describe('the recorded demo journey', () => {
  const { with: w, without: wo, unstitched } = compareJourneys(fixture.events)

  it('reads every line', () => {
    expect(fixture.problems).toEqual([])
    expect(fixture.events).toHaveLength(18)
  })

  it('with mailstitch: one visitor on two devices, email events in line, no orphans', () => {
    expect(w.visitors).toHaveLength(1)
    const v = w.visitors[0]!
    expect(v.devices).toEqual(['D1', 'D2'])
    expect(w.devices.map((d) => d.host)).toEqual(['127.0.0.1:8780', 'localhost:8780'])
    expect(v.emails).toEqual(['ada@example.com'])
    expect(v.emailEvents).toBe(3)
    expect(w.totals.orphanedEmailEvents).toBe(0)
    expect(v.stitches.map((e) => e.stitch!.kind)).toEqual(['email-captured', 'link-adopted'])
    const titles = v.entries.map((e) => e.title)
    // Time order, whatever order the collector received them in (the relay's came last).
    const i = (t: string) => titles.indexOf(t)
    expect(i('Email Captured')).toBeLessThan(i('Email Delivered'))
    expect(i('Email Delivered')).toBeLessThan(i('Email Opened'))
    expect(i('Email Opened')).toBeLessThan(i('Email Link Clicked'))
    expect(i('Email Link Clicked')).toBeLessThan(i('Email Link Landed'))
    expect(i('Email Link Landed')).toBeLessThan(i('Order Completed'))
    expect(v.entries.filter((e) => e.email).every((e) => e.source === 'relay')).toBe(true)
    expect(v.entries.filter((e) => !e.email).every((e) => e.source === 'site')).toBe(true)
  })

  it('with mailstitch: the order is credited to the email click (last touch), first touch the direct visit', () => {
    const [order] = w.visitors[0]!.orders
    expect(order!.order).toMatchObject({
      revenue: 68,
      currency: 'USD',
      emailClick: true,
      email: { first: false, last: true },
      firstTouch: { channel: 'direct', via: 'new-visit' },
      lastTouch: { channel: 'email', via: 'email-click', campaign: 'Spring Linen Drop' },
    })
    expect([...order!.order!.lastTouch!.evidence].sort()).toEqual(['email-click', 'link-landing', 'utm'])
    expect(w.totals).toMatchObject({ orders: 1, emailLastTouch: 1, emailFirstTouch: 0, emailClickOrders: 1 })
  })

  it('without mailstitch: the subscriber, a stranger on the second device, and orphaned email events', () => {
    expect(wo.visitors).toHaveLength(3)
    const a = wo.visitors[0]
    const stranger = wo.visitors.find((v) => v.id.startsWith(NEW_ID_PREFIX)) // a fresh browser: no previous id was ever sent
    const orphan = wo.visitors.find((v) => v.keyedBy === 'klaviyo')
    expect(a!.id).toBe(w.visitors[0]!.id)
    expect(a!.devices).toEqual(['D1'])
    expect(a!.orders).toEqual([])
    expect(a!.emails).toEqual([]) // the capture identify was mailstitch's
    expect(stranger!.devices).toEqual(['D2'])
    expect(stranger!.note).toMatch(/stranger/)
    expect(stranger!.orders[0]!.order).toMatchObject({ emailClick: false, firstTouch: { channel: 'email', via: 'utm' } })
    expect(orphan!.id).toMatch(/^klaviyo:/)
    expect(orphan!.emails).toEqual(['ada@example.com'])
    expect(orphan!.orphanedEmailEvents).toBe(3)
    expect(orphan!.note).toMatch(/orphaned/)
    expect(wo.totals).toMatchObject({ orphanedEmailEvents: 3, emailClickOrders: 0 })
    expect(unstitched).toEqual({ dropped: 3, rekeyedEmail: 3, rekeyedSite: 7 })
  })

  it('devices are numbered alike in both views and no entry is lost but mailstitch’s own', () => {
    expect(wo.devices).toEqual(w.devices)
    const ids = (j: Journey) => j.visitors.flatMap((v) => v.entries.map((e) => e.id)).sort()
    expect(ids(wo).length).toBe(ids(w).length - 3)
  })
})

describe('withoutMailstitch', () => {
  it('gives the second device back the anonymousId it had before adopting', () => {
    const list = events([
      site('A', 0, { type: 'page' }),
      site('A', 5, { event: 'Email Captured', messageId: 'mst-1', props: { source: 'form' }, ctx: { traits: { email: 'ada@example.com' } } }),
      site('B', 50, { type: 'page', url: 'http://localhost:8780/' }),
      site('A', 60, { event: 'Email Link Landed', url: 'http://localhost:8780/p', props: { outcome: 'adopted', previous_anonymous_id: 'B' } }),
      site('A', 59.5, { type: 'page', url: 'http://localhost:8780/p?utm_medium=email' }),
      site('A', 70, { type: 'page', url: 'http://127.0.0.1:8780/later' }), // device 1 still A
      site('A', 80, { event: 'Order Completed', url: 'http://localhost:8780/cart', props: { revenue: 10 } }),
      relay('A', 58, 'Email Link Clicked', { link_url: 'http://127.0.0.1:8780/p' }),
    ])
    const un = withoutMailstitch(events.length ? list : list)
    const byId = new Map(un.events.map((e) => [e.messageId, e]))
    expect(un.dropped).toBe(2)
    expect([...byId.values()].filter((e) => e.anonymousId === 'B').map((e) => e.type + (e.event ?? ''))).toEqual(['page', 'page', 'trackOrder Completed'])
    expect([...byId.values()].filter((e) => e.anonymousId === 'A').map((e) => e.context.page)).toHaveLength(2)
    expect(un.events.find((e) => e.event === 'Email Link Clicked')!.anonymousId).toBe('klaviyo:01PROFILE')
    const j = buildJourney(un.events, { notes: un.notes })
    expect(j.visitors.find((v) => v.id === 'B')!.note).toMatch(/its own anonymousId/)
  })

  it('leaves "kept" and "same" landings alone (only drops the landing event)', () => {
    const list = events([
      site('K', 0, { type: 'page', url: 'http://localhost:8780/' }),
      site('K', 1, { event: 'Email Link Landed', url: 'http://localhost:8780/', props: { outcome: 'kept' } }),
      site('S', 2, { event: 'Email Link Landed', props: { outcome: 'same' } }),
    ])
    const un = withoutMailstitch(list)
    expect(un.events.map((e) => e.anonymousId)).toEqual(['K'])
    expect(un.rekeyedSite).toBe(0)
  })

  it('keys email events by email when the relay gave no Klaviyo profile id, and drops userId', () => {
    const e = relay('A', 0, 'Email Opened', { klaviyo_profile_id: undefined })
    const un = withoutMailstitch(events([{ ...e, userId: 'ext-1' }]))
    expect(un.events[0]).toMatchObject({ anonymousId: 'email:ada@example.com' })
    expect(un.events[0]!.userId).toBeUndefined()
  })
})

describe('buildJourney', () => {
  it('an email event the relay could not bridge is orphaned even with mailstitch', () => {
    const j = buildJourney(events([site('A', 0, { type: 'page' }), relay('klaviyo:01X', 5, 'Email Delivered')]))
    expect(visitorsOf(j)).toEqual(['A', 'klaviyo:01X'])
    expect(j.visitors[1]).toMatchObject({ keyedBy: 'klaviyo', orphanedEmailEvents: 1 })
    expect(j.visitors[1]!.note).toMatch(/Klaviyo profile id/)
    expect(j.totals.orphanedEmailEvents).toBe(1)
  })

  it('groups userId-only events under user:<id> and lists userIds and emails', () => {
    const j = buildJourney(events([site('A', 0, { type: 'identify', userId: 'u1', traits: { email: 'Ada@Example.com' } }), { ...relay('x', 1, 'Email Opened'), anonymousId: undefined, userId: 'u1' }]))
    expect(visitorsOf(j)).toEqual(['A', 'user:u1'])
    expect(j.visitors[0]).toMatchObject({ userIds: ['u1'], emails: ['ada@example.com'] })
  })

  it('describes entries in one line', () => {
    const j = buildJourney(
      events([
        site('A', 0, { type: 'page', url: 'http://127.0.0.1:8780/products/x?utm_source=klaviyo&utm_medium=email&utm_campaign=spring' }),
        site('A', 1, { event: 'Order Completed', props: { order_id: 'HL1', revenue: '98.5', currency: 'USD', products: [{}, {}] } }),
        relay('A', 2, 'Email Link Clicked', { link_url: 'http://127.0.0.1:8780/products/x?mst=A#top' }),
      ]),
    )
    expect(j.visitors[0]!.entries.map((e) => `${e.title}: ${e.detail}`)).toEqual([
      'Page: /products/x · utm klaviyo / email / spring',
      'Order Completed: #HL1 · 98.50 USD · 2 items',
      'Email Link Clicked: Spring Linen Drop · /products/x#top',
    ])
  })
})

describe('attribution', () => {
  it('last touch is the last non-direct touch; first touch the first', () => {
    const list = events([
      site('A', 0, { type: 'page', referrer: 'https://www.google.com/' }),
      relay('A', 100, 'Email Link Clicked'),
      site('A', 3 * 3600, { type: 'page' }), // a later direct visit
      site('A', 3 * 3600 + 5, { event: 'Order Completed' }),
    ])
    const t = touchesOf(list)
    expect(t.map((x) => `${x.channel}/${x.via}`)).toEqual(['referral/referrer', 'email/email-click', 'direct/new-visit'])
    const a = attribute(t, list[3]!.time)
    expect(a.firstTouch).toMatchObject({ channel: 'referral', referrer: 'www.google.com' })
    expect(a.lastTouch).toMatchObject({ channel: 'email' })
    expect(a.email).toEqual({ first: false, last: true })
  })

  it('ignores touches after the order and beyond the lookback', () => {
    const list = events([relay('A', 0, 'Email Link Clicked'), site('A', 40 * 86400, { type: 'page' }), site('A', 40 * 86400 + 1, { event: 'Order Completed' }), relay('A', 40 * 86400 + 2, 'Email Link Clicked')])
    const a = attribute(touchesOf(list), list[2]!.time)
    expect(a.emailClick).toBe(false)
    expect(a.lastTouch).toMatchObject({ channel: 'direct' })
  })

  it('the other demo host name is not a referral; internal navigation is not a touch', () => {
    const list = events([site('A', 0, { type: 'page', url: 'http://localhost:8780/', referrer: 'http://127.0.0.1:8780/x' }), site('A', 10, { type: 'page', url: 'http://localhost:8780/b', referrer: 'http://localhost:8780/' })])
    expect(touchesOf(list).map((t) => t.channel)).toEqual(['direct'])
  })

  it('an order with no touch at all has no attribution', () => {
    const a = attribute([], T0)
    expect(a).toEqual({ firstTouch: undefined, lastTouch: undefined, email: { first: false, last: false }, emailClick: false })
  })
})

it('orders Klaviyo events of the same second by email lifecycle', () => {
  const list = events([relay('A', 5, 'Email Link Clicked'), relay('A', 5, 'Email Opened'), relay('A', 5, 'Email Delivered')])
  expect([...list].sort(byTime).map((e) => e.event)).toEqual(['Email Delivered', 'Email Opened', 'Email Link Clicked'])
})

it('names browsers from user agents', () => {
  expect(browserOf(UA)).toBe('Chrome 131')
  expect(browserOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1')).toBe('Safari 17 (iOS)')
  expect(browserOf('Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36')).toBe('Chrome 156')
  expect(browserOf('curl/8')).toBeUndefined()
})
