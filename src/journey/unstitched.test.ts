import { describe, expect, it } from 'vitest'
import { journeyEvents as events, relayEvent as relay, siteEvent as site } from '../../test/helpers/journey-events'
import { buildJourney } from './model'
import { withoutMailstitch } from './unstitched'

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

  it('leaves out Visitor Linked, from the relay or the Shopify add-on: mailstitch sends it, a site without mailstitch would not', () => {
    const list = events([
      site('B', 0, { type: 'page', url: 'http://localhost:8780/' }),
      site('B', 1, { event: 'Visitor Linked', props: { bridge_id: 'A', source: 'cart' } }),
    ])
    const un = withoutMailstitch(list)
    expect(un.dropped).toBe(1)
    expect(un.events.map((e) => e.type)).toEqual(['page'])
  })
})
