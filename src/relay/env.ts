/** Relay settings from environment variables (the names listed in docs/relay.md, "Environment variables") and the CLI's flags. */
import type { RelayOptions } from './relay'
import { readRelaySettings, type SettingFlags } from '../shared/relay-settings'

/**
 * Read KLAVIYO_PRIVATE_KEY, SEGMENT_WRITE_KEY, KLAVIYO_WEBHOOK_SECRET, KLAVIYO_API_BASE,
 * SEGMENT_API_HOST and SEGMENT_REGION (us | eu; SEGMENT_API_HOST wins when both are set; `--region`
 * wins over SEGMENT_REGION), SHOPIFY_WEBHOOK_SECRET and SHOPIFY_ORDERS (serve), once, checked
 * (../shared/relay-settings.ts); throws its `ConfigError` (the CLI exits 2) naming what to fix.
 */
export function relayOptionsFromEnv(env: Record<string, string | undefined> = process.env, flags: SettingFlags = {}): RelayOptions {
  const s = readRelaySettings(env, flags)
  return {
    klaviyoPrivateKey: s.klaviyoPrivateKey,
    segmentWriteKey: s.segmentWriteKey,
    webhookSecret: s.klaviyoWebhookSecrets.length ? s.klaviyoWebhookSecrets : undefined,
    klaviyoApiBase: s.klaviyoApiBase,
    segmentApiHost: s.segmentApiHost,
    segmentRegion: s.segmentRegion,
    shopifyWebhookSecret: s.shopifyWebhookSecrets.length ? s.shopifyWebhookSecrets : undefined,
    shopifyOrders: s.shopifyOrders,
  }
}
