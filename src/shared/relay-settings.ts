/**
 * The relay's settings, read once, for every runtime: the CLI (`relay poll | serve | check`, from
 * process.env and its flags), the Cloudflare Worker (its `env` bindings) and the Lambda handler
 * (the function's environment), under the names docs/relay.md lists. Every value is checked here,
 * once, with one error type ({@link ConfigError}) whose message names what to set; the runtimes
 * then pass the typed result on (src/relay/env.ts → `RelayOptions`, src/webhook/config.ts →
 * `WebhookConfig`) and never read the environment again.
 */
import { redactSecrets } from './redact'
import type { SegmentRegion } from './segment-region'

/** A setting is missing or not valid; `variable` names the environment variable (or flag) to fix. */
export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, message: string) {
    super(message)
    this.name = 'WebhookConfigError'
    this.variable = variable
  }
}

/** SHOPIFY_ORDERS: 'completed' sends Order Completed; 'link' sends Order Linked. */
type ShopifyOrdersSetting = 'completed' | 'link'

/** Every runtime's settings, typed and checked. */
export interface RelaySettings {
  /** KLAVIYO_PRIVATE_KEY. */
  klaviyoPrivateKey?: string
  /** SEGMENT_WRITE_KEY. */
  segmentWriteKey?: string
  /** KLAVIYO_WEBHOOK_SECRET, comma-separated during a rotation; empty when unset. */
  klaviyoWebhookSecrets: string[]
  /** SHOPIFY_WEBHOOK_SECRET, comma-separated during a rotation; empty when unset. */
  shopifyWebhookSecrets: string[]
  /** SHOPIFY_ORDERS, default 'completed'. */
  shopifyOrders: ShopifyOrdersSetting
  /** KLAVIYO_API_BASE as given (undefined: https://a.klaviyo.com). */
  klaviyoApiBase?: string
  /** SEGMENT_API_HOST as given; wins over the region. */
  segmentApiHost?: string
  /** SEGMENT_REGION (or the CLI's `--region`, which wins over it). */
  segmentRegion?: SegmentRegion
}

/** Flags that override an environment variable (the CLI's). */
export interface SettingFlags {
  /** `--region`. */
  region?: string
}

/** Read and check the settings; throws {@link ConfigError} naming the variable to fix. */
export function readRelaySettings(env: Readonly<Record<string, unknown>>, flags: SettingFlags = {}): RelaySettings {
  const get = (name: string): string | undefined => {
    const v = env[name]
    return typeof v === 'string' && v.trim() ? v.trim() : undefined
  }
  const list = (name: string) => (get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  const orders = get('SHOPIFY_ORDERS') ?? 'completed'
  if (orders !== 'completed' && orders !== 'link') throw new ConfigError('SHOPIFY_ORDERS', `SHOPIFY_ORDERS must be completed or link, not "${orders}".`)
  const region = flags.region !== undefined ? parseSegmentRegion(flags.region, '--region') : get('SEGMENT_REGION') === undefined ? undefined : parseSegmentRegion(get('SEGMENT_REGION')!, 'SEGMENT_REGION')
  return {
    klaviyoPrivateKey: get('KLAVIYO_PRIVATE_KEY'),
    segmentWriteKey: get('SEGMENT_WRITE_KEY'),
    klaviyoWebhookSecrets: list('KLAVIYO_WEBHOOK_SECRET'),
    shopifyWebhookSecrets: list('SHOPIFY_WEBHOOK_SECRET'),
    shopifyOrders: orders,
    klaviyoApiBase: httpUrl('KLAVIYO_API_BASE', get('KLAVIYO_API_BASE')),
    segmentApiHost: httpUrl('SEGMENT_API_HOST', get('SEGMENT_API_HOST')),
    segmentRegion: region,
  }
}

/** Parse a region name (`us`, `eu`, any case); throws {@link ConfigError} naming `source` otherwise. */
export function parseSegmentRegion(value: string, source: string): SegmentRegion {
  const v = value.trim().toLowerCase()
  if (v === 'us' || v === 'eu') return v
  throw new ConfigError(source, `${source}: "${value}" is not a Segment region; use us or eu.`)
}

/**
 * KLAVIYO_API_BASE and SEGMENT_API_HOST are URLs with a scheme: `127.0.0.1:38781` alone would be
 * tried as a relative path or an unknown scheme and reported as an unreachable host, so it is
 * refused here with what to write instead (credentials in the value are never quoted).
 */
function httpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    throw new ConfigError(name, `${name} needs a scheme: write ${redactSecrets(`https://${value}`)} (or http:// for a local stand-in), not the host alone.`)
  }
  if (scheme !== 'https' && scheme !== 'http') throw new ConfigError(name, `${name} must start with https:// (or http:// for a local stand-in), not ${scheme}://.`)
  try {
    new URL(value)
  } catch {
    throw new ConfigError(name, `${name} is not a URL: ${redactSecrets(value)}.`)
  }
  return value
}

/**
 * What looks wrong in the Shopify webhook secrets (one message per doubtful secret; none when each
 * looks right). Shopify publishes no format for them (webhooks are signed with the app's client
 * secret, `shpss_…` for current apps, or the secret the admin shows for webhooks it created), so
 * these are warnings only: `relay check` and `relay serve` both accept any non-empty secret.
 */
export function shopifySecretWarnings(secrets: readonly string[]): string[] {
  const warnings: string[] = []
  for (const [i, s] of secrets.entries()) {
    const which = secrets.length > 1 ? ` (secret ${i + 1} of ${secrets.length})` : ''
    if (/^shp(at|ca|pa|ua)_/.test(s)) {
      warnings.push(`SHOPIFY_WEBHOOK_SECRET${which} looks like an Admin API access token, not a webhook signing secret: use the app's client secret or the secret shown under Settings → Notifications → Webhooks; with a wrong secret every order webhook is refused (401).`)
    } else if (!/^shpss_[0-9a-f]{32}$/.test(s) && !/^[0-9a-f]{64}$/.test(s) && !/^[0-9a-f]{32}$/.test(s)) {
      warnings.push(`SHOPIFY_WEBHOOK_SECRET${which} is neither an app client secret (shpss_…) nor a hex signing secret; if it is not the secret Shopify signs with, every order webhook is refused (401).`)
    }
  }
  return warnings
}
