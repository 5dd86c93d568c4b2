import { describe, expect, it } from 'vitest'
import { ConfigError, parseSegmentRegion, readRelaySettings } from './relay-settings'

describe('readRelaySettings', () => {
  it('reads every runtime’s names once, trimmed; secrets are lists; --region wins over SEGMENT_REGION', () => {
    expect(
      readRelaySettings({ KLAVIYO_PRIVATE_KEY: ' pk ', SEGMENT_WRITE_KEY: 'wk', KLAVIYO_WEBHOOK_SECRET: 'old, new', SEGMENT_REGION: 'EU', SHOPIFY_ORDERS: 'link', KLAVIYO_API_BASE: 'http://k', SEGMENT_API_HOST: ' ', OTHER: 1 }),
    ).toEqual({
      klaviyoPrivateKey: 'pk',
      segmentWriteKey: 'wk',
      klaviyoWebhookSecrets: ['old', 'new'],
      shopifyWebhookSecrets: [],
      shopifyOrders: 'link',
      klaviyoApiBase: 'http://k',
      segmentApiHost: undefined,
      segmentRegion: 'eu',
    })
    expect(readRelaySettings({ SEGMENT_REGION: 'eu' }, { region: 'us' }).segmentRegion).toBe('us')
    expect(readRelaySettings({}).shopifyOrders).toBe('completed')
  })

  it('refuses a bad region or SHOPIFY_ORDERS with one error type that names the variable or flag', () => {
    const errorOf = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return err
      }
      return undefined
    }
    expect(errorOf(() => readRelaySettings({ SEGMENT_REGION: 'mars' }))).toMatchObject({ variable: 'SEGMENT_REGION', message: 'SEGMENT_REGION: "mars" is not a Segment region; use us or eu.' })
    expect(errorOf(() => readRelaySettings({}, { region: 'apac' }))).toMatchObject({ variable: '--region' })
    expect(errorOf(() => readRelaySettings({ SHOPIFY_ORDERS: 'all' }))).toBeInstanceOf(ConfigError)
    expect(parseSegmentRegion(' Eu ', '--region')).toBe('eu')
  })
})
