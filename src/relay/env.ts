/** Relay settings from environment variables (the names listed in docs/relay.md, "Environment variables"). */
import type { RelayOptions } from './relay'
import { parseSegmentRegion } from './segment-region'

/**
 * Read KLAVIYO_PRIVATE_KEY, SEGMENT_WRITE_KEY, KLAVIYO_WEBHOOK_SECRET, KLAVIYO_API_BASE,
 * SEGMENT_API_HOST and SEGMENT_REGION (us | eu; SEGMENT_API_HOST wins when both are set),
 * SHOPIFY_WEBHOOK_SECRET and SHOPIFY_ORDERS (serve).
 */
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
    segmentRegion: get('SEGMENT_REGION') === undefined ? undefined : parseSegmentRegion(get('SEGMENT_REGION')!, 'SEGMENT_REGION'),
    // serve: comma-separated secrets during a rotation; SHOPIFY_ORDERS is checked where it is used.
    shopifyWebhookSecret: get('SHOPIFY_WEBHOOK_SECRET'),
    shopifyOrders: get('SHOPIFY_ORDERS') as RelayOptions['shopifyOrders'],
  }
}
