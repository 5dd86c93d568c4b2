/**
 * A stand-in for Shopify's checkout, for the demo: a cart becomes a Shopify order (REST shape,
 * see ./examples.ts) whose note attributes carry the cart attribute `mailstitch_anonymous_id`,
 * and Shopify's `orders/create` webhook for it (signed, see ./order-webhook.ts) goes to the
 * relay's Shopify handler, which sends `Order Completed` to Segment.
 */
import { handleShopifyWebhook } from '../../src/webhook/shopify'
import type { KlaviyoLookup } from '../../src/webhook/klaviyo-lookup'
import type { ShopifyOrdersMode } from '../../src/shared/shopify-order'
import type { SegmentTrackMessage } from '../../src/shared/segment-message'
import { exampleOrderWebhookBody, type ExampleLineItem } from './examples'
import { shopifyWebhookRequest } from './order-webhook'

/** How the checkout reaches the relay. */
export interface ShopifyCheckoutOptions {
  /** The webhook signing secret both sides know. */
  secret: string
  orders?: ShopifyOrdersMode
  /** The relay's delivery to Segment. */
  deliver: (messages: SegmentTrackMessage[]) => Promise<void>
  log?: (line: string) => void
  /** The relay's Klaviyo look-up (KLAVIYO_PRIVATE_KEY): an order without the attribute is keyed by its email's profile. */
  lookup?: KlaviyoLookup
  /** First order id (numeric, as Shopify's); each order takes the next one. */
  firstOrderId?: number
}

/** A cart at checkout. */
export interface ShopifyCart {
  lines: ExampleLineItem[]
  /** The cart attribute `mailstitch_anonymous_id` (absent when the bridge did not write one). */
  bridgeId?: string
  /** The buyer's email, which Shopify's checkout asks for. */
  email: string
}

/** The order placed and what the relay answered Shopify's webhook with. */
export interface PlacedShopifyOrder {
  orderId: string
  webhookStatus: number
}

/** A checkout: each call places one order and delivers its `orders/create` webhook. */
export function createShopifyCheckout(options: ShopifyCheckoutOptions): (cart: ShopifyCart) => Promise<PlacedShopifyOrder> {
  let next = options.firstOrderId ?? 5800000000000 + (Date.now() % 1_000_000) * 1000
  return async (cart) => {
    const orderId = String(next++)
    const body = exampleOrderWebhookBody({ orderId, lineItems: cart.lines, bridgeId: cart.bridgeId || undefined, customerId: null, email: cart.email, createdAt: new Date().toISOString() })
    const request = shopifyWebhookRequest('http://relay.local/shopify', { secret: options.secret, body })
    const response = await handleShopifyWebhook(request, { secrets: [options.secret], orders: options.orders, lookup: options.lookup, log: options.log }, options.deliver)
    return { orderId, webhookStatus: response.status }
  }
}
