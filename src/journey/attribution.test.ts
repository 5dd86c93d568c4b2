import { describe, expect, it } from 'vitest'
import { journeyEvents as events, relayEvent as relay, siteEvent as site, T0 } from '../../test/helpers/journey-events'
import { attribute, touchesOf } from './attribution'

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

  it("a referrer on one of the store's own hosts is not a referral; internal navigation is not a touch", () => {
    const list = events([site('A', 0, { type: 'page', url: 'http://shop.example/', referrer: 'http://www.shop.example/x' }), site('A', 10, { type: 'page', url: 'http://shop.example/b', referrer: 'http://shop.example/' })])
    expect(touchesOf(list).map((t) => t.channel)).toEqual(['referral'])
    expect(touchesOf(list, { siteHosts: ['www.shop.example'] }).map((t) => t.channel)).toEqual(['direct'])
  })

  it('by default every host the pages were on is the store (one store under two host names)', () => {
    const list = events([
      site('A', 0, { type: 'page', url: 'http://127.0.0.1:8780/' }),
      site('A', 4 * 3600, { type: 'page', url: 'http://localhost:8780/', referrer: 'http://127.0.0.1:8780/x' }),
    ])
    expect(touchesOf(list).map((t) => t.channel)).toEqual(['direct', 'direct'])
    expect(touchesOf(list.slice(1)).map((t) => t.channel)).toEqual(['referral'])
  })

  it('an order with no touch at all has no attribution', () => {
    const a = attribute([], T0)
    expect(a).toEqual({ firstTouch: undefined, lastTouch: undefined, email: { first: false, last: false }, emailClick: false })
  })
})
