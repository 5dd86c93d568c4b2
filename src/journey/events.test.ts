import { describe, expect, it } from 'vitest'
import { EMAIL_EVENTS, byTime, parseJsonl, readEvents, sourceOf } from './events'
import { journeyEvents, relayEvent } from '../../test/helpers/journey-events'
import { METRIC_TO_EVENT } from '../shared/klaviyo-map'

describe('parseJsonl', () => {
  it('reads events, skips blank lines and reports bad lines by number without throwing', () => {
    const text = [
      JSON.stringify({ type: 'page', anonymousId: 'a1', timestamp: '2026-01-01T00:00:00Z' }),
      '',
      '{"type":"track", "event": "x", broken',
      '[1,2]',
      JSON.stringify({ type: 'track', event: 'No Id', timestamp: '2026-01-01T00:00:01Z' }),
      JSON.stringify({ type: 'track', event: 'No Time', anonymousId: 'a1' }),
      JSON.stringify({ anonymousId: 'a1', timestamp: '2026-01-01T00:00:01Z' }),
      '   ',
      JSON.stringify({ type: 'identify', userId: 'u1', receivedAt: '2026-01-01T00:00:02Z', traits: { email: 'x@y.z' } }),
      '\u0000\u001b[31m',
    ].join('\n')
    const { events, problems } = parseJsonl(text)
    expect(events.map((e) => e.type)).toEqual(['page', 'identify'])
    expect(events[1]!.time).toBe(Date.parse('2026-01-01T00:00:02Z'))
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 10])
    expect(problems[0]!.message).toMatch(/malformed JSON/)
    expect(problems[1]!.message).toBe('not a JSON object')
    expect(problems[2]!.message).toMatch(/anonymousId/)
    expect(problems[3]!.message).toMatch(/timestamp/)
    expect(problems[4]!.message).toMatch(/type/)
  })

  it('handles CRLF files and an empty file', () => {
    expect(parseJsonl('').events).toEqual([])
    const { events, problems } = parseJsonl(`${JSON.stringify({ type: 'page', anonymousId: 'a', timestamp: 1 })}\r\n\r\n`)
    expect(events).toHaveLength(1)
    expect(problems).toEqual([])
  })

  it('keeps hostile strings as data (rendering escapes them)', () => {
    const email = '"><img src=x onerror=alert(1)>@evil.test'
    const { events } = readEvents([{ type: 'identify', anonymousId: 'a', timestamp: '2026-01-01T00:00:00Z', traits: { email } }])
    expect(events[0]!.traits.email).toBe(email)
  })

  it('ignores non-object properties/context instead of crashing', () => {
    const { events } = readEvents([{ type: 'track', event: 'E', anonymousId: 'a', timestamp: '2026-01-01T00:00:00Z', properties: 'x', context: [1], traits: null }])
    expect(events[0]).toMatchObject({ properties: {}, context: {}, traits: {}, source: 'server' })
  })
})

describe('sourceOf', () => {
  it('tells site, relay and server events apart', () => {
    expect(sourceOf({ context: { library: { name: 'analytics.js', version: 'next-1.84.3' } }, properties: {} })).toBe('site')
    expect(sourceOf({ context: { integration: { name: 'mailstitch-relay', version: '0.1.0' }, library: { name: '@segment/analytics-node' } }, properties: {} })).toBe('relay')
    expect(sourceOf({ context: { library: { name: '@segment/analytics-node' } }, properties: { provider: 'Klaviyo' } })).toBe('relay')
    expect(sourceOf({ context: { library: { name: '@segment/analytics-node' } }, properties: {} })).toBe('server')
  })

  it('tells a Shopify order path (the relay order webhook, the web pixel) from a Klaviyo email event', () => {
    const relayLibrary = { context: { library: { name: 'mailstitch-relay', version: '0.1.0' } }, properties: {} }
    expect(sourceOf({ ...relayLibrary, messageId: 'shopify-order-820982911946154508' })).toBe('shopify')
    expect(sourceOf({ ...relayLibrary, messageId: 'shopify-visitor-link-1' })).toBe('shopify')
    expect(sourceOf({ context: { library: { name: 'mailstitch-pixel', version: '0.1.0' } }, properties: {}, messageId: 'shopify-order-link-1' })).toBe('shopify')
    expect(sourceOf({ ...relayLibrary, messageId: 'klaviyo-4G9fZ' })).toBe('relay')
    expect(readEvents([{ type: 'track', event: 'Order Completed', anonymousId: 'a', messageId: 'shopify-order-7', timestamp: '2026-01-01T00:00:00Z', context: relayLibrary.context }]).events[0]!.source).toBe('shopify')
  })
})

it('knows every Segment event the relay emits', () => {
  expect([...new Set(Object.values(METRIC_TO_EVENT))].sort()).toEqual([...EMAIL_EVENTS].sort())
})

it('orders Klaviyo events of the same second by email lifecycle', () => {
  const list = journeyEvents([relayEvent('A', 5, 'Email Link Clicked'), relayEvent('A', 5, 'Email Opened'), relayEvent('A', 5, 'Email Delivered')])
  expect([...list].sort(byTime).map((e) => e.event)).toEqual(['Email Delivered', 'Email Opened', 'Email Link Clicked'])
})
