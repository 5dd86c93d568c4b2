/**
 * Webhook settings from an environment (process.env under Node and Lambda, the Worker's `env`
 * under Cloudflare), the same variable names as the CLI (docs/relay.md), and the fetch handler they
 * configure. Validation happens here, once, with messages that say what to set.
 */
import { createDispatcher, type FetchHandler, type WebhookRoutes } from './dispatch'
import { handleKlaviyoWebhook } from './klaviyo'
import { KlaviyoLookup } from './klaviyo-lookup'
import { handleShopifyWebhook, type ShopifyWebhookOptions } from './shopify'
import { createSegmentDelivery, segmentHost, type SegmentDelivery } from './segment-delivery'
import type { MapOptions } from '../shared/klaviyo-map'
import { ConfigError, readRelaySettings, type RelaySettings } from '../shared/relay-settings'
import type { SegmentTrackMessage } from '../shared/segment-message'

/** A required setting is missing or not valid; `variable` names the environment variable to set (the one configuration error of every runtime). */
export { ConfigError as WebhookConfigError }

/** Everything the webhook entry needs. */
export interface WebhookConfig {
  segmentWriteKey: string
  /** Segment origin (SEGMENT_API_HOST, or the SEGMENT_REGION endpoint). */
  segmentApiHost: string
  /** KLAVIYO_WEBHOOK_SECRET (comma-separated during a rotation); empty when Klaviyo webhooks are off. */
  klaviyoSecrets: string[]
  /** KLAVIYO_PRIVATE_KEY, for profile look-ups; required with a Klaviyo secret. */
  klaviyoPrivateKey?: string
  klaviyoApiBase?: string
  /** SHOPIFY_WEBHOOK_SECRET (comma-separated during a rotation); empty when Shopify webhooks are off. */
  shopifySecrets: string[]
  /** SHOPIFY_ORDERS: 'completed' (default) or 'link'. */
  shopifyOrders: 'completed' | 'link'
}

/** Options shared by every webhook source, beyond the environment; the mapper's options ({@link MapOptions}) apply to Klaviyo webhooks. */
export interface WebhookAppOptions extends MapOptions {
  toleranceSeconds?: number
  maxBodyBytes?: number
  lookupBudgetMs?: number
  segmentBudgetMs?: number
  log?: (line: string) => void
  /** Replaces the Segment delivery (tests, benches). */
  deliver?: SegmentDelivery
  /** Replaces the Klaviyo look-up client (tests, benches). */
  lookup?: KlaviyoLookup
}

/** Read and check webhook settings from an environment; throws {@link WebhookConfigError} with the variable to set. */
export function webhookConfigFromEnv(env: Readonly<Record<string, unknown>>): WebhookConfig {
  return webhookConfigOf(readRelaySettings(env))
}

/** The webhook entry's configuration from checked settings: which sources are on, and what each needs. */
export function webhookConfigOf(settings: RelaySettings): WebhookConfig {
  const klaviyoSecrets = settings.klaviyoWebhookSecrets
  const shopifySecrets = settings.shopifyWebhookSecrets
  if (!klaviyoSecrets.length && !shopifySecrets.length) {
    throw new ConfigError('KLAVIYO_WEBHOOK_SECRET', 'KLAVIYO_WEBHOOK_SECRET is not set (nor SHOPIFY_WEBHOOK_SECRET): set the secret_key of the Klaviyo webhook, the Shopify webhook signing secret, or both.')
  }
  if (klaviyoSecrets.length && !settings.klaviyoPrivateKey) {
    throw new ConfigError('KLAVIYO_PRIVATE_KEY', 'KLAVIYO_PRIVATE_KEY is not set: Klaviyo webhooks carry only the profile id, so the relay looks profiles up with a private key (scopes profiles:read, metrics:read).')
  }
  if (!settings.segmentWriteKey) throw new ConfigError('SEGMENT_WRITE_KEY', 'SEGMENT_WRITE_KEY is not set: the write key of the Segment source that receives the events.')
  return {
    segmentWriteKey: settings.segmentWriteKey,
    segmentApiHost: segmentHost(settings.segmentApiHost, settings.segmentRegion),
    klaviyoSecrets: [...klaviyoSecrets],
    klaviyoPrivateKey: settings.klaviyoPrivateKey,
    klaviyoApiBase: settings.klaviyoApiBase,
    shopifySecrets: [...shopifySecrets],
    shopifyOrders: settings.shopifyOrders,
  }
}

/** The webhook fetch handler for a configuration: Klaviyo and/or Shopify, delivering to Segment. */
export function createWebhookApp(config: WebhookConfig, options: WebhookAppOptions = {}): FetchHandler {
  const deliver = options.deliver ?? createSegmentDelivery({ writeKey: config.segmentWriteKey, host: config.segmentApiHost, budgetMs: options.segmentBudgetMs })
  const routes: WebhookRoutes = {}
  // One look-up client for both sources: Klaviyo webhooks and Shopify orders share its cache and
  // its Get Profiles rate budget (the limit is per Klaviyo account).
  const lookup = options.lookup ?? (config.klaviyoPrivateKey ? new KlaviyoLookup({ privateKey: config.klaviyoPrivateKey, apiBase: config.klaviyoApiBase }) : undefined)
  if (config.klaviyoSecrets.length) {
    const klaviyoOptions = {
      secrets: config.klaviyoSecrets,
      lookup,
      toleranceSeconds: options.toleranceSeconds,
      maxBodyBytes: options.maxBodyBytes,
      lookupBudgetMs: options.lookupBudgetMs,
      integrations: options.integrations,
      linkParam: options.linkParam,
      machineOpens: options.machineOpens,
      log: options.log,
    }
    routes.klaviyo = (request) => handleKlaviyoWebhook(request, klaviyoOptions, deliver)
  }
  if (config.shopifySecrets.length) {
    // With KLAVIYO_PRIVATE_KEY, orders without the cart attribute are keyed by their email's profile.
    const shopifyOptions: ShopifyWebhookOptions = { secrets: config.shopifySecrets, orders: config.shopifyOrders, lookup, log: options.log }
    // An order Segment refuses for good is answered 200 like a sent one (Shopify's retry would be
    // refused again); the log line says which.
    const deliverOrder = async (messages: SegmentTrackMessage[]): Promise<void> => {
      const report = await deliver(messages)
      for (const r of report ? report.refused : []) options.log?.(`shopify webhook: Segment refused ${r.messageId} for good (${r.reason})`)
    }
    routes.shopify = (request) => handleShopifyWebhook(request, shopifyOptions, deliverOrder)
  }
  return createDispatcher(routes)
}
