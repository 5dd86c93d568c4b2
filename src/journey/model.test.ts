import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { journeyEvents as events, relayEvent as relay, siteEvent as site } from '../../test/helpers/journey-events'
import { parseJsonl } from './events'
import { NEW_ID_PREFIX, buildJourney, compareJourneys, linkedIds, type Journey } from './model'

// A journey recorded from the demo (npm run demo, walked by Playwright): browse on 127.0.0.1,
// subscribe in the footer, campaign delivered/opened/clicked, link opened on localhost (a fresh
// browser), add to cart, order. Ports normalised to 8780.
const fixture = parseJsonl(readFileSync(new URL('./fixtures/demo-journey.jsonl', import.meta.url), 'utf8'))

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

})

describe('Visitor Linked', () => {
  it('joins a purged browser\'s new id to the bridge id it names, with a stitch, only in the view with mailstitch', () => {
    const list = events([
      site('A', 0, { type: 'page' }),
      site('A', 5, { event: 'Email Captured', messageId: 'mst-1', props: { source: 'form' }, ctx: { traits: { email: 'ada@example.com' } } }),
      relay('A', 60, 'Email Link Clicked', { link_url: 'http://127.0.0.1:8780/p' }),
      site('B', 9 * 86_400, { type: 'page' }),
      site('B', 9 * 86_400 + 1, { event: 'Visitor Linked', props: { bridge_id: 'A', source: 'cart' } }),
      site('B', 9 * 86_400 + 60, { event: 'Order Completed', props: { order_id: '1', revenue: 10 } }),
    ])
    const c = compareJourneys(list)
    expect(c.with.visitors.map((v) => v.id)).toEqual(['A'])
    const a = c.with.visitors[0]!
    expect(a.stitches.map((e) => e.stitch!.kind)).toEqual(['email-captured', 'visitor-linked'])
    expect(a.orders[0]!.order).toMatchObject({ orderId: '1', emailClick: true })
    expect(a.entries.filter((e) => e.anonymousId === 'B')).toHaveLength(3)
    // Without mailstitch there is no Visitor Linked, and the order stays with its own browser.
    expect(c.without.visitors.find((v) => v.orders.length)!.orders[0]!.order!.emailClick).toBe(false)
  })

  it('follows chains and survives cycles and self-links', () => {
    const list = events([
      site('C', 0, { event: 'Visitor Linked', props: { bridge_id: 'B' } }),
      site('B', 1, { event: 'Visitor Linked', props: { bridge_id: 'A' } }),
      site('X', 2, { event: 'Visitor Linked', props: { bridge_id: 'Y' } }),
      site('Y', 3, { event: 'Visitor Linked', props: { bridge_id: 'X' } }),
      site('S', 4, { event: 'Visitor Linked', props: { bridge_id: 'S' } }),
    ])
    const links = linkedIds(list)
    expect(links.get('C')).toBe('A')
    expect(links.get('B')).toBe('A')
    expect(links.has('S')).toBe(false)
    expect(['X', 'Y']).toContain(links.get('X'))
    expect(() => buildJourney(list)).not.toThrow()
  })
})
