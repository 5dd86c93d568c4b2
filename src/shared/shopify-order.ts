/**
 * A Shopify order → Segment `Order Completed` (ecommerce spec v2) or `Order Linked`, per
 * docs/shopify.md, "The order in Segment". Two inputs, one output, so the relay's order webhook and the
 * web pixel's `checkout_completed` produce the same message for the same order:
 * - the REST Order resource Shopify posts in `orders/create` / `orders/paid` webhooks
 *   (https://shopify.dev/docs/api/admin-rest/latest/resources/order, https://shopify.dev/docs/api/webhooks)
 * - the Web Pixels `checkout_completed` event
 *   (https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed).
 * Pure: no I/O, no clock, never throws on any input.
 */
import { TOKEN } from './url'
import { VISITOR_LINKED } from './email-events'
import type { SegmentTrackMessage } from './segment-message'

/** The cart attribute (order note attribute, checkout attribute) that carries the bridge id. */
const BRIDGE_ATTRIBUTE = 'mailstitch_anonymous_id'

/** `completed` sends Order Completed; `link` only joins the order to the visitor (Order Linked). */
export type ShopifyOrdersMode = 'completed' | 'link'

/** One product of an order, Segment ecommerce spec v2 names. */
type OrderProduct = {
  product_id?: string
  sku?: string
  name?: string
  variant?: string
  brand?: string
  price?: number
  quantity?: number
}

/** Properties of `Order Completed` (Segment ecommerce spec v2). */
type OrderCompletedProperties = {
  order_id: string
  /** The checkout token (REST `checkout_token`, Web Pixels `checkout.token`): the same on both paths. */
  checkout_id?: string
  /** What the customer paid: products after discounts, plus shipping and tax. */
  total?: number
  /** Products after discounts, before shipping and tax. */
  subtotal?: number
  /** Revenue excluding shipping and tax (= subtotal). */
  revenue?: number
  shipping?: number
  tax?: number
  discount?: number
  /** Discount codes used, comma-separated. */
  coupon?: string
  currency?: string
  products: OrderProduct[]
}

/** Properties of `Order Linked` (docs/shopify.md, join-only mode): the join only. */
type OrderLinkedProperties = {
  order_id: string
  checkout_token?: string
}

/** The message an order produces. */
export type ShopifyOrderMessage =
  | SegmentTrackMessage<'Order Completed', OrderCompletedProperties>
  | SegmentTrackMessage<'Order Linked', OrderLinkedProperties>

/** Properties of the `Visitor Linked` an order sends (CONTRACT.md, "Orders without the attribute"). */
type OrderVisitorLinkedProperties = {
  /** The bridge id of the order's email (its Klaviyo profile's `segment_anonymous_id`). */
  bridge_id: string
  order_id: string
}

/** `track('Visitor Linked', { bridge_id, order_id })` on the attribute's id: joins this browser to the email's visitor. */
type OrderVisitorLinkedMessage = SegmentTrackMessage<typeof VISITOR_LINKED, OrderVisitorLinkedProperties>

/** Why an order produced no message. */
type ShopifyOrderSkipReason = 'no_order_id' | 'no_visitor'

/** The result of mapping one order: a message, or why there is none. */
export type ShopifyOrderResult =
  | {
      ok: true
      message: ShopifyOrderMessage
      /** Present when the order's attribute and its email name two different bridge ids. */
      linked?: OrderVisitorLinkedMessage
    }
  | { ok: false; reason: ShopifyOrderSkipReason; orderId?: string }

/** Options of both mappers. */
export interface ShopifyOrderOptions {
  mode?: ShopifyOrdersMode
  /** `context.library` of the message (the relay or the pixel). */
  library: { name: string; version: string }
  /**
   * Webhook body only: the bridge id of the order's email, looked up by the relay (the Klaviyo
   * profile's `segment_anonymous_id`). Keys an order without the attribute; where the attribute
   * is present it wins, and a different email bridge id adds a `Visitor Linked` message.
   */
  emailBridgeId?: string
  /**
   * `checkout_completed` only: the bridge id mailstitch stored in the buyer's browser (read by the
   * web pixel), which keys a checkout that carries no attribute. The attribute wins where present.
   */
  storedBridgeId?: string
}

/** The parts of a REST Order resource the mapper reads (webhook body). */
interface ShopifyRestOrder {
  id?: number | string | null
  admin_graphql_api_id?: string | null
  email?: string | null
  contact_email?: string | null
  currency?: string | null
  total_price?: string | number | null
  subtotal_price?: string | number | null
  total_tax?: string | number | null
  total_discounts?: string | number | null
  discount_codes?: { code?: string | null }[] | null
  shipping_lines?: { price?: string | number | null }[] | null
  line_items?: {
    product_id?: number | string | null
    variant_id?: number | string | null
    sku?: string | null
    title?: string | null
    variant_title?: string | null
    vendor?: string | null
    price?: string | number | null
    quantity?: number | null
  }[] | null
  customer?: { id?: number | string | null; admin_graphql_api_id?: string | null } | null
  note_attributes?: { name?: string | null; value?: unknown }[] | null
  checkout_token?: string | null
  created_at?: string | null
  processed_at?: string | null
}

/** Web Pixels money. */
interface PixelMoney {
  amount?: number | string | null
  currencyCode?: string | null
}

/** The parts of a Web Pixels `checkout_completed` event the mapper reads. */
interface CheckoutCompletedEventLike {
  id?: string
  name?: string
  timestamp?: string
  data?: {
    checkout?: {
      attributes?: { key?: string | null; value?: unknown }[] | null
      currencyCode?: string | null
      discountApplications?: { title?: string | null; type?: string | null }[] | null
      discountsAmount?: PixelMoney | null
      email?: string | null
      lineItems?: {
        quantity?: number | null
        title?: string | null
        variant?: {
          id?: string | null
          sku?: string | null
          title?: string | null
          price?: PixelMoney | null
          product?: { id?: string | null; title?: string | null; vendor?: string | null } | null
        } | null
      }[] | null
      order?: { id?: string | null; customer?: { id?: string | null } | null } | null
      shippingLine?: { price?: PixelMoney | null } | null
      subtotalPrice?: PixelMoney | null
      token?: string | null
      totalPrice?: PixelMoney | null
      totalTax?: PixelMoney | null
    } | null
  } | null
}

/** The numeric id of a Shopify id: `123`, `'123'` or `'gid://shopify/Order/123'` → `'123'`. */
export function shopifyNumericId(id: unknown): string | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id > 0 ? String(id) : undefined
  if (typeof id !== 'string') return undefined
  const match = /^(?:gid:\/\/shopify\/[A-Za-z]+\/)?(\d{1,20})(?:\?.*)?$/.exec(id.trim())
  return match ? match[1] : undefined
}

/** The contract's messageIds: one per order and kind, whichever path sends it. */
export function orderMessageId(orderId: string, mode: ShopifyOrdersMode): string {
  return mode === 'link' ? `shopify-order-link-${orderId}` : `shopify-order-${orderId}`
}

/** The messageId of an order's `Visitor Linked` (one per order, however often it is sent). */
export function visitorLinkMessageId(orderId: string): string {
  return `shopify-visitor-link-${orderId}`
}

/** What the relay needs to know about an order before mapping it: whether it names a visitor, and the email to look up. */
export interface ShopifyOrderKeys {
  orderId?: string
  /** The well-formed `mailstitch_anonymous_id` note attribute, when present. */
  attributeBridgeId?: string
  /** The order's email, trimmed and lower-cased as mailstitch captures emails (REST `email`, else `contact_email`). */
  email?: string
}

/** The ids and email of a REST Order (webhook body); empty for anything that is not an order. Never throws. */
export function shopifyOrderKeys(order: unknown): ShopifyOrderKeys {
  if (!isObject(order)) return {}
  const o = order as ShopifyRestOrder
  const orderId = shopifyNumericId(o.id) ?? shopifyNumericId(o.admin_graphql_api_id)
  const attributeBridgeId = bridgeId(list(o.note_attributes).map((a) => ({ key: a?.name, value: a?.value })))
  const email = (text(o.email) ?? text(o.contact_email))?.trim().toLowerCase()
  return dropUndefined({ orderId, attributeBridgeId, email })
}

/** REST Order (webhook body) → message. */
export function mapShopifyOrder(order: unknown, options: ShopifyOrderOptions): ShopifyOrderResult {
  if (!isObject(order)) return { ok: false, reason: 'no_order_id' }
  const o = order as ShopifyRestOrder
  // Shopify's published example uses ids above 2^53, which JSON.parse rounds: the GID string wins
  // over an unsafe number (shopifyNumericId refuses those).
  const orderId = shopifyNumericId(o.id) ?? shopifyNumericId(o.admin_graphql_api_id)
  if (!orderId) return { ok: false, reason: 'no_order_id' }
  const attributes = list(o.note_attributes).map((a) => ({ key: a?.name, value: a?.value }))
  const discountCodes = list(o.discount_codes).map((d) => text(d?.code))
  const shippingLines = list(o.shipping_lines)
  const attribute = bridgeId(attributes)
  const fromEmail = options.emailBridgeId && TOKEN.test(options.emailBridgeId) ? options.emailBridgeId : undefined
  return build(options, {
    orderId,
    // The attribute is this browser's session and wins; the email's bridge id keys the rest.
    anonymousId: attribute ?? fromEmail,
    linkTo: attribute && fromEmail && attribute !== fromEmail ? fromEmail : undefined,
    userId: shopifyNumericId(o.customer?.id) ?? shopifyNumericId(o.customer?.admin_graphql_api_id),
    email: text(o.email),
    timestamp: text(o.processed_at) ?? text(o.created_at),
    checkoutToken: text(o.checkout_token),
    properties: {
      total: amount(o.total_price),
      subtotal: amount(o.subtotal_price),
      shipping: shippingLines.length ? sum(shippingLines.map((s) => amount(s?.price))) : undefined,
      tax: amount(o.total_tax),
      discount: amount(o.total_discounts),
      coupon: joinCodes(discountCodes),
      currency: text(o.currency),
      products: list(o.line_items).map((li) =>
        product({
          product_id: shopifyNumericId(li?.product_id),
          sku: text(li?.sku),
          name: text(li?.title),
          variant: text(li?.variant_title),
          brand: text(li?.vendor),
          price: amount(li?.price),
          quantity: count(li?.quantity),
        }),
      ),
    },
  })
}

/** Web Pixels `checkout_completed` event → the same message as the order's webhook. */
export function mapCheckoutCompleted(event: unknown, options: ShopifyOrderOptions): ShopifyOrderResult {
  if (!isObject(event)) return { ok: false, reason: 'no_order_id' }
  const checkout = (event as CheckoutCompletedEventLike).data?.checkout
  if (!isObject(checkout) || !checkout) return { ok: false, reason: 'no_order_id' }
  const orderId = shopifyNumericId(checkout.order?.id)
  if (!orderId) return { ok: false, reason: 'no_order_id' }
  const codes = list(checkout.discountApplications)
    .filter((d) => d?.type === 'DISCOUNT_CODE')
    .map((d) => text(d?.title))
  const stored = options.storedBridgeId && TOKEN.test(options.storedBridgeId) ? options.storedBridgeId : undefined
  return build(options, {
    orderId,
    anonymousId: bridgeId(list(checkout.attributes)) ?? stored,
    userId: shopifyNumericId(checkout.order?.customer?.id),
    email: text(checkout.email),
    timestamp: text((event as CheckoutCompletedEventLike).timestamp),
    checkoutToken: text(checkout.token),
    properties: {
      total: amount(checkout.totalPrice?.amount),
      subtotal: amount(checkout.subtotalPrice?.amount),
      shipping: amount(checkout.shippingLine?.price?.amount),
      tax: amount(checkout.totalTax?.amount),
      discount: amount(checkout.discountsAmount?.amount),
      coupon: joinCodes(codes),
      currency: text(checkout.currencyCode) ?? text(checkout.totalPrice?.currencyCode),
      products: list(checkout.lineItems).map((li) =>
        product({
          product_id: shopifyNumericId(li?.variant?.product?.id),
          sku: text(li?.variant?.sku),
          name: text(li?.variant?.product?.title) ?? text(li?.title),
          variant: text(li?.variant?.title),
          brand: text(li?.variant?.product?.vendor),
          price: amount(li?.variant?.price?.amount),
          quantity: count(li?.quantity),
        }),
      ),
    },
  })
}

/** What both inputs boil down to before the message is built. */
interface OrderFacts {
  orderId: string
  anonymousId?: string
  /** Another bridge id of the same buyer, joined to `anonymousId` by a Visitor Linked message. */
  linkTo?: string
  userId?: string
  email?: string
  timestamp?: string
  checkoutToken?: string
  properties: Omit<OrderCompletedProperties, 'order_id' | 'checkout_id' | 'revenue'>
}

function build(options: ShopifyOrderOptions, facts: OrderFacts): ShopifyOrderResult {
  if (!facts.anonymousId && !facts.userId) return { ok: false, reason: 'no_visitor', orderId: facts.orderId }
  const mode: ShopifyOrdersMode = options.mode === 'link' ? 'link' : 'completed'
  const ids = {
    ...(facts.anonymousId ? { anonymousId: facts.anonymousId } : {}),
    ...(facts.userId ? { userId: facts.userId } : {}),
  }
  const timestamp = facts.timestamp && !Number.isNaN(Date.parse(facts.timestamp)) ? new Date(facts.timestamp).toISOString() : undefined
  const context = { library: { ...options.library }, ...(facts.email ? { traits: { email: facts.email } } : {}) }
  // The timestamp is left out only for an order without a readable time (Segment then uses its own).
  const common = { type: 'track' as const, ...ids, messageId: orderMessageId(facts.orderId, mode), ...(timestamp ? { timestamp } : {}), context } as Omit<
    SegmentTrackMessage,
    'event' | 'properties'
  >
  const linked: { linked?: OrderVisitorLinkedMessage } = facts.linkTo
    ? { linked: { ...common, context: { ...context }, messageId: visitorLinkMessageId(facts.orderId), event: VISITOR_LINKED, properties: { bridge_id: facts.linkTo, order_id: facts.orderId } } }
    : {}
  if (mode === 'link') {
    return {
      ok: true,
      message: { ...common, event: 'Order Linked', properties: dropUndefined({ order_id: facts.orderId, checkout_token: facts.checkoutToken }) },
      ...linked,
    }
  }
  const p = facts.properties
  const properties: OrderCompletedProperties = dropUndefined({
    checkout_id: facts.checkoutToken,
    order_id: facts.orderId,
    total: p.total,
    subtotal: p.subtotal,
    revenue: p.subtotal,
    shipping: p.shipping,
    tax: p.tax,
    discount: p.discount,
    coupon: p.coupon,
    currency: p.currency,
    products: p.products,
  })
  return { ok: true, message: { ...common, event: 'Order Completed', properties }, ...linked }
}

/** The bridge id among `{key|name, value}` attributes, when it is a well-formed id. */
function bridgeId(attributes: { key?: string | null; value?: unknown }[]): string | undefined {
  for (const a of attributes) {
    if (a?.key !== BRIDGE_ATTRIBUTE) continue
    const value = typeof a.value === 'string' ? a.value.trim() : ''
    // A withdrawn consent leaves the attribute empty; a tampered one is not a visitor id.
    if (TOKEN.test(value)) return value
  }
  return undefined
}

function product(p: OrderProduct): OrderProduct {
  return dropUndefined(p)
}

function joinCodes(codes: (string | undefined)[]): string | undefined {
  const present = codes.filter((c): c is string => !!c)
  return present.length ? present.join(',') : undefined
}

function sum(values: (number | undefined)[]): number {
  // Cents, so 0.1 + 0.2 stays 0.3.
  return Math.round(values.reduce<number>((total, v) => total + (v ?? 0) * 100, 0)) / 100
}

function amount(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v !== 'string' || v.trim() === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined
}

function list<T>(v: readonly T[] | null | undefined): T[] {
  return Array.isArray(v) ? v : []
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}
