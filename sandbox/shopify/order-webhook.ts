/**
 * Sends Shopify order webhooks the way Shopify does, so `relay serve` (and the Shopify handler)
 * can be exercised locally. Headers and signature per https://shopify.dev/docs/apps/build/webhooks
 * (subscribe/https: "Verify the webhook"; the headers list of "Webhook delivery"):
 * `X-Shopify-Topic`, `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the raw body with the app's
 * client secret), `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`, `X-Shopify-Webhook-Id`,
 * `X-Shopify-Triggered-At`, `X-Shopify-Event-Id`. Delivery is at least once: a redelivery
 * repeats the body, the webhook id and the event id (that is what `redeliver` does).
 */
import { createHmac, randomUUID } from 'node:crypto'
import { exampleOrderWebhookBody, type ExampleOrderOptions } from './examples'

/** Base64 HMAC-SHA256 of the raw body, as Shopify signs webhooks. */
export function signShopifyWebhook(rawBody: string | Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64')
}

/** One order webhook delivery. */
export interface ShopifyWebhookDelivery {
  /** Default `orders/create`. */
  topic?: string
  /** The raw body (default: the example order with `order`'s options). */
  body?: string
  order?: ExampleOrderOptions
  /** Signing secret; `signature` overrides the computed header (to forge one). */
  secret: string
  signature?: string
  shopDomain?: string
  apiVersion?: string
  webhookId?: string
  eventId?: string
  triggeredAt?: string
}

/** The request Shopify would send: its headers and raw body. */
export function buildShopifyWebhook(delivery: ShopifyWebhookDelivery): { headers: Record<string, string>; body: string } {
  const body = delivery.body ?? exampleOrderWebhookBody(delivery.order)
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-Shopify-Topic': delivery.topic ?? 'orders/create',
      'X-Shopify-Hmac-Sha256': delivery.signature ?? signShopifyWebhook(body, delivery.secret),
      'X-Shopify-Shop-Domain': delivery.shopDomain ?? 'jsmith.myshopify.com',
      'X-Shopify-API-Version': delivery.apiVersion ?? '2025-10',
      'X-Shopify-Webhook-Id': delivery.webhookId ?? randomUUID(),
      'X-Shopify-Event-Id': delivery.eventId ?? randomUUID(),
      'X-Shopify-Triggered-At': delivery.triggeredAt ?? new Date().toISOString(),
      'User-Agent': 'Shopify-Captain-Hook',
    },
  }
}

/** The request as a Web `Request`, for handlers that take one. */
export function shopifyWebhookRequest(url: string, delivery: ShopifyWebhookDelivery): Request {
  const { headers, body } = buildShopifyWebhook(delivery)
  return new Request(url, { method: 'POST', headers, body })
}

/** A sent delivery: its answer, and a way to send the very same request again. */
export interface SentShopifyWebhook {
  status: number
  body: string
  /** Shopify's redelivery: same body, same headers (webhook id, event id, signature). */
  redeliver(): Promise<SentShopifyWebhook>
}

/** POST one order webhook to `url` (Shopify gives up on an answer after 5 s). */
export async function sendShopifyWebhook(url: string, delivery: ShopifyWebhookDelivery): Promise<SentShopifyWebhook> {
  const request = buildShopifyWebhook(delivery)
  const send = async (): Promise<SentShopifyWebhook> => {
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(5000) })
    return { status: response.status, body: await response.text(), redeliver: send }
  }
  return send()
}
