import { describe, expect, it } from 'vitest'
import { ConfigError, parseSegmentRegion, readRelaySettings, shopifySecretWarnings } from './relay-settings'

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

describe('API hosts and Shopify secrets: one rule for every runtime (issue 23)', () => {
  const errorOf = (f: () => unknown) => {
    try {
      f()
    } catch (err) {
      return err
    }
    throw new Error('expected a ConfigError')
  }

  it('a host without a scheme is a ConfigError naming the variable and the URL to write, credentials redacted', () => {
    expect(errorOf(() => readRelaySettings({ SEGMENT_API_HOST: '127.0.0.1:38781' }))).toMatchObject({ variable: 'SEGMENT_API_HOST', message: expect.stringContaining('write https://127.0.0.1:38781') })
    expect(errorOf(() => readRelaySettings({ KLAVIYO_API_BASE: 'localhost:8782' }))).toMatchObject({ variable: 'KLAVIYO_API_BASE' })
    expect(errorOf(() => readRelaySettings({ KLAVIYO_API_BASE: 'ws://a.klaviyo.com' }))).toMatchObject({ variable: 'KLAVIYO_API_BASE', message: expect.stringContaining('not ws://') })
    const redacted = errorOf(() => readRelaySettings({ SEGMENT_API_HOST: 'user:hunter2@api.segment.io' })) as Error
    expect(redacted.message).not.toContain('hunter2')
    expect(readRelaySettings({ SEGMENT_API_HOST: 'HTTPS://api.segment.io/', KLAVIYO_API_BASE: 'http://127.0.0.1:8782' })).toMatchObject({ segmentApiHost: 'HTTPS://api.segment.io/', klaviyoApiBase: 'http://127.0.0.1:8782' })
  })

  it('any non-empty Shopify secret is read; the doubtful ones get a warning each', () => {
    expect(readRelaySettings({ SHOPIFY_WEBHOOK_SECRET: 'x' }).shopifyWebhookSecrets).toEqual(['x'])
    expect(shopifySecretWarnings(['shpss_' + '0a'.repeat(16), 'ab'.repeat(32), 'cd'.repeat(16)])).toEqual([])
    const warnings = shopifySecretWarnings(['shpat_0123456789abcdef', 'x'])
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/\(secret 1 of 2\) looks like an Admin API access token/)
    expect(warnings[1]).toMatch(/\(secret 2 of 2\) is neither an app client secret/)
  })
})
