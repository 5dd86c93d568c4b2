import { describe, expect, it } from 'vitest'
import { webhookConfigFromEnv, WebhookConfigError } from './config'

const base = { SEGMENT_WRITE_KEY: 'wk', KLAVIYO_WEBHOOK_SECRET: 'a', KLAVIYO_PRIVATE_KEY: 'pk' }
const failure = (env: Record<string, unknown>) => {
  try {
    webhookConfigFromEnv(env)
  } catch (err) {
    if (err instanceof WebhookConfigError) return { variable: err.variable, message: err.message }
    throw err
  }
  throw new Error('expected a WebhookConfigError')
}

describe('webhookConfigFromEnv', () => {
  it('reads the CLI names; secrets are comma-separated during a rotation; the region picks the Segment host', () => {
    expect(webhookConfigFromEnv({ ...base, KLAVIYO_WEBHOOK_SECRET: ' old , new ', SEGMENT_REGION: 'EU' })).toEqual({
      segmentWriteKey: 'wk',
      segmentApiHost: 'https://events.eu1.segmentapis.com',
      klaviyoSecrets: ['old', 'new'],
      klaviyoPrivateKey: 'pk',
      klaviyoApiBase: undefined,
      shopifySecrets: [],
      shopifyOrders: 'completed',
    })
    expect(webhookConfigFromEnv({ ...base, SEGMENT_REGION: 'eu', SEGMENT_API_HOST: 'http://127.0.0.1:9/' }).segmentApiHost).toBe('http://127.0.0.1:9')
    expect(webhookConfigFromEnv(base).segmentApiHost).toBe('https://api.segment.io')
  })

  it('needs KLAVIYO_PRIVATE_KEY with a Klaviyo secret, at least one secret, and a write key', () => {
    expect(failure({ ...base, KLAVIYO_PRIVATE_KEY: ' ' })).toMatchObject({ variable: 'KLAVIYO_PRIVATE_KEY', message: expect.stringMatching(/profile/) })
    expect(failure({ SEGMENT_WRITE_KEY: 'wk' })).toMatchObject({ variable: 'KLAVIYO_WEBHOOK_SECRET', message: expect.stringMatching(/SHOPIFY_WEBHOOK_SECRET/) })
    expect(failure({ ...base, SEGMENT_WRITE_KEY: undefined })).toMatchObject({ variable: 'SEGMENT_WRITE_KEY' })
    expect(failure({ ...base, SEGMENT_REGION: 'asia' })).toMatchObject({ variable: 'SEGMENT_REGION' })
    expect(failure({ ...base, SHOPIFY_ORDERS: 'all' })).toMatchObject({ variable: 'SHOPIFY_ORDERS' })
  })

  it('a Shopify-only relay needs no Klaviyo key', () => {
    expect(webhookConfigFromEnv({ SEGMENT_WRITE_KEY: 'wk', SHOPIFY_WEBHOOK_SECRET: 'shp', SHOPIFY_ORDERS: 'link' })).toMatchObject({ klaviyoSecrets: [], shopifySecrets: ['shp'], shopifyOrders: 'link' })
  })
})
