/** Relay settings from environment variables (the names pinned in CONTRACT.md). */
import type { RelayOptions } from './relay'

/** Read KLAVIYO_PRIVATE_KEY, SEGMENT_WRITE_KEY, KLAVIYO_WEBHOOK_SECRET, KLAVIYO_API_BASE, SEGMENT_API_HOST, SHOPIFY_WEBHOOK_SECRET, SHOPIFY_ORDERS. */
export function relayOptionsFromEnv(env: Record<string, string | undefined> = process.env): RelayOptions {
  const get = (name: string) => {
    const v = env[name]?.trim()
    return v ? v : undefined
  }
  return {
    klaviyoPrivateKey: get('KLAVIYO_PRIVATE_KEY'),
    segmentWriteKey: get('SEGMENT_WRITE_KEY'),
    webhookSecret: get('KLAVIYO_WEBHOOK_SECRET'),
    klaviyoApiBase: get('KLAVIYO_API_BASE'),
    segmentApiHost: get('SEGMENT_API_HOST'),
    // serve: comma-separated secrets during a rotation; SHOPIFY_ORDERS is checked where it is used.
    shopifyWebhookSecret: get('SHOPIFY_WEBHOOK_SECRET'),
    shopifyOrders: get('SHOPIFY_ORDERS') as RelayOptions['shopifyOrders'],
  }
}
