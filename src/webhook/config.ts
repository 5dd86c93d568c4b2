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

/** A required setting is missing or inconsistent; `variable` names the environment variable to set. */
export class WebhookConfigError extends Error {
  readonly variable: string
  constructor(variable: string, message: string) {
    super(message)
    this.name = 'WebhookConfigError'
    this.variable = variable
  }
}

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

/** Read and check webhook settings; throws {@link WebhookConfigError} with the variable to set. */
export function webhookConfigFromEnv(env: Readonly<Record<string, unknown>>): WebhookConfig {
  const get = (name: string): string | undefined => {
    const v = env[name]
    return typeof v === 'string' && v.trim() ? v.trim() : undefined
  }
  const list = (name: string) => (get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  const klaviyoSecrets = list('KLAVIYO_WEBHOOK_SECRET')
  const shopifySecrets = list('SHOPIFY_WEBHOOK_SECRET')
  if (!klaviyoSecrets.length && !shopifySecrets.length) {
    throw new WebhookConfigError('KLAVIYO_WEBHOOK_SECRET', 'KLAVIYO_WEBHOOK_SECRET is not set (nor SHOPIFY_WEBHOOK_SECRET): set the secret_key of the Klaviyo webhook, the Shopify webhook signing secret, or both.')
  }
  const klaviyoPrivateKey = get('KLAVIYO_PRIVATE_KEY')
  if (klaviyoSecrets.length && !klaviyoPrivateKey) {
    throw new WebhookConfigError('KLAVIYO_PRIVATE_KEY', 'KLAVIYO_PRIVATE_KEY is not set: Klaviyo webhooks carry only the profile id, so the relay looks profiles up with a private key (scopes profiles:read, metrics:read).')
  }
  const segmentWriteKey = get('SEGMENT_WRITE_KEY')
  if (!segmentWriteKey) throw new WebhookConfigError('SEGMENT_WRITE_KEY', 'SEGMENT_WRITE_KEY is not set: the write key of the Segment source that receives the events.')
  const region = get('SEGMENT_REGION')
  if (region && !/^(us|eu)$/i.test(region)) throw new WebhookConfigError('SEGMENT_REGION', `SEGMENT_REGION must be us or eu, not "${region}".`)
  const orders = get('SHOPIFY_ORDERS') ?? 'completed'
  if (orders !== 'completed' && orders !== 'link') throw new WebhookConfigError('SHOPIFY_ORDERS', `SHOPIFY_ORDERS must be completed or link, not "${orders}".`)
  return {
    segmentWriteKey,
    segmentApiHost: segmentHost(get('SEGMENT_API_HOST'), region),
    klaviyoSecrets,
    klaviyoPrivateKey,
    klaviyoApiBase: get('KLAVIYO_API_BASE'),
    shopifySecrets,
    shopifyOrders: orders,
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
    routes.shopify = (request) => handleShopifyWebhook(request, shopifyOptions, deliver)
  }
  return createDispatcher(routes)
}
