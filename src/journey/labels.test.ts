import { describe, expect, it } from 'vitest'
import { journeyEvents as events, relayEvent as relay, siteEvent as site } from '../../test/helpers/journey-events'
import { describe as describeEvent, stitchOf } from './labels'

describe('describe', () => {
  it('describes entries in one line', () => {
    const list = events([
      site('A', 0, { type: 'page', url: 'http://127.0.0.1:8780/products/x?utm_source=klaviyo&utm_medium=email&utm_campaign=spring' }),
      site('A', 1, { event: 'Order Completed', props: { order_id: 'HL1', revenue: '98.5', currency: 'USD', products: [{}, {}] } }),
      relay('A', 2, 'Email Link Clicked', { link_url: 'http://127.0.0.1:8780/products/x?mst=A#top' }),
    ])
    expect(list.map((e) => describeEvent(e)).map((d) => `${d.title}: ${d.detail}`)).toEqual([
      'Page: /products/x · utm klaviyo / email / spring',
      'Order Completed: #HL1 · 98.50 USD · 2 items',
      'Email Link Clicked: Spring Linen Drop · /products/x#top',
    ])
  })
})

describe('stitchOf', () => {
  it('labels captures and each landing outcome, naming the device', () => {
    const list = events([
      site('A', 0, { event: 'Email Captured', props: { source: 'form' }, ctx: { traits: { email: 'ada@example.com' } } }),
      site('A', 1, { event: 'Email Link Landed', props: { outcome: 'adopted', previous_anonymous_id: 'B' } }),
      site('A', 2, { event: 'Email Link Landed', props: { outcome: 'same' } }),
      site('A', 3, { event: 'Email Link Landed', props: { outcome: 'kept' } }),
      site('A', 4, { event: 'Email Link Landed', props: { outcome: 'unknown' } }),
      relay('A', 5, 'Email Link Clicked'),
    ])
    const stitches = list.map((e) => stitchOf(e, { id: 'D2' }))
    expect(stitches.map((s) => s?.kind)).toEqual(['email-captured', 'link-adopted', 'link-same', 'link-kept', undefined, undefined])
    expect(stitches[0]!.label).toContain('ada@example.com')
    expect(stitches[1]!.label).toMatch(/on D2: the browser adopted the bridge id \(was B\)/)
  })
})
