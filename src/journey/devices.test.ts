import { describe, expect, it } from 'vitest'
import { journeyEvents as events, relayEvent as relay, siteEvent as site, UA } from '../../test/helpers/journey-events'
import { DeviceRegistry, browserOf, siteHostsOf } from './devices'

it('names browsers from user agents', () => {
  expect(browserOf(UA)).toBe('Chrome 131')
  expect(browserOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1')).toBe('Safari 17 (iOS)')
  expect(browserOf('Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36')).toBe('Chrome 156')
  expect(browserOf('curl/8')).toBeUndefined()
})

describe('DeviceRegistry', () => {
  it('numbers devices by page host and user agent in time order; server events have none', () => {
    const list = events([
      site('B', 10, { type: 'page', url: 'http://localhost:8780/' }),
      site('A', 0, { type: 'page' }),
      site('A', 20, { type: 'page', url: 'http://127.0.0.1:8780/x' }),
      relay('A', 30, 'Email Opened'),
    ])
    const d = new DeviceRegistry(list)
    expect(d.list()).toEqual([
      { id: 'D1', host: '127.0.0.1:8780', browser: 'Chrome 131' },
      { id: 'D2', host: 'localhost:8780', browser: 'Chrome 131' },
    ])
    expect(list.map((e) => d.of(e)?.id)).toEqual(['D2', 'D1', 'D1', undefined])
  })
})

describe('siteHostsOf', () => {
  it('lists the hosts of site pages only, once each', () => {
    const list = events([site('A', 0, { type: 'page' }), site('A', 1, { type: 'page', url: 'http://localhost:8780/' }), site('A', 2, { type: 'page' }), relay('A', 3, 'Email Link Clicked', { link_url: 'https://elsewhere.example/' })])
    expect(siteHostsOf(list)).toEqual(['127.0.0.1:8780', 'localhost:8780'])
  })
})
