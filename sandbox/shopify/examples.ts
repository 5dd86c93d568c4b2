/**
 * Shopify stand-in data, shaped like Shopify's published examples (field names, nesting, id
 * sizes, money as strings in REST and as numbers in Web Pixels); the values are ours.
 * - Order webhook body: the `orders/create` example payload of
 *   https://shopify.dev/docs/api/webhooks?reference=toml (topic orders/create), which is the REST
 *   Order resource https://shopify.dev/docs/api/admin-rest/latest/resources/order. Its ids are
 *   larger than 2^53 (JSON.parse rounds them), as in Shopify's example: the GIDs stay exact.
 * - `checkout_completed`: https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed
 *   (ids as strings, `attributes` as `{ key, value }`, `order.id`, `order.customer.id`).
 */

/** The example order's id (above 2^53, as Shopify's example is). */
export const EXAMPLE_ORDER_ID = '820982911946154508'
/** The example customer's id. */
export const EXAMPLE_CUSTOMER_ID = '115310627314723954'
/** The example checkout token (REST `checkout_token`, Web Pixels `checkout.token`). */
export const EXAMPLE_CHECKOUT_TOKEN = 'bd5a8aa1ecd019dd3520ff791ee3a24c'

/** What an example order varies on. */
export interface ExampleOrderOptions {
  orderId?: string
  /** The bridge id in `note_attributes` (cart attribute `mailstitch_anonymous_id`); omit for none. */
  bridgeId?: string
  /** A logged-in customer's id; null for a guest checkout. */
  customerId?: string | null
  email?: string
  /** ISO time the checkout completed. */
  createdAt?: string
  /** The cart's lines (default: the example's two items, a discount code and two shipping lines). */
  lineItems?: ExampleLineItem[]
  /** Shipping charged with `lineItems` (default 0: no shipping line). */
  shippingPrice?: number
}

/** One cart line turned into an order line (REST `line_items[]`). */
export interface ExampleLineItem {
  productId: number
  variantId: number
  title: string
  variantTitle?: string | null
  sku?: string | null
  vendor?: string | null
  price: number
  quantity: number
}

const DEFAULT_LINE_ITEMS: ExampleLineItem[] = [
  { productId: 632910392, variantId: 808950810, title: 'IPod Nano - 8GB', variantTitle: 'Pink', sku: 'IPOD2008PINK', vendor: 'Apple', price: 199, quantity: 1 },
  { productId: 632910392, variantId: 808950810, title: 'IPod Nano - 8GB', variantTitle: 'Pink', sku: 'IPOD2008PINK', vendor: 'Apple', price: 199, quantity: 1 },
]
const DEFAULT_LINE_ITEM_IDS = [866550311766439020, 141249953214522974]

const money = (n: number) => (Math.round(n * 100) / 100).toFixed(2)

/**
 * An `orders/create` webhook body as JSON text. Ids are written as bare JSON numbers, as Shopify
 * sends them, so a receiver that trusts `id` over `admin_graphql_api_id` sees the rounding.
 */
export function exampleOrderWebhookBody(options: ExampleOrderOptions = {}): string {
  const orderId = options.orderId ?? EXAMPLE_ORDER_ID
  const customerId = options.customerId === undefined ? EXAMPLE_CUSTOMER_ID : options.customerId
  const createdAt = options.createdAt ?? '2026-12-01T12:34:56-05:00'
  const email = options.email ?? 'jon@example.com'
  const custom = options.lineItems !== undefined
  const items = options.lineItems ?? DEFAULT_LINE_ITEMS
  const itemsTotal = items.reduce((sum, li) => sum + li.price * li.quantity, 0)
  const discount = custom ? 0 : 10
  const shipping = custom ? (options.shippingPrice ?? 0) : 15
  const subtotal = itemsTotal - discount
  const total = subtotal + shipping
  const order = {
    id: '__ORDER_ID__',
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    app_id: null,
    browser_ip: null,
    buyer_accepts_marketing: true,
    cancel_reason: null,
    cancelled_at: null,
    cart_token: null,
    checkout_id: null,
    checkout_token: EXAMPLE_CHECKOUT_TOKEN,
    confirmation_number: null,
    confirmed: false,
    contact_email: email,
    created_at: createdAt,
    currency: 'USD',
    current_subtotal_price: money(subtotal),
    current_total_discounts: money(discount),
    current_total_price: money(total),
    current_total_tax: '0.00',
    customer_locale: 'en',
    discount_codes: custom ? [] : [{ code: 'WELCOME10', amount: '10.00', type: 'fixed_amount' }],
    email,
    estimated_taxes: false,
    financial_status: 'paid',
    landing_site: null,
    name: '#9999',
    note: null,
    note_attributes: options.bridgeId === undefined ? [] : [{ name: 'mailstitch_anonymous_id', value: options.bridgeId }],
    number: 234,
    order_number: 1234,
    order_status_url: 'https://jsmith.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg',
    presentment_currency: 'USD',
    processed_at: createdAt,
    source_name: 'web',
    subtotal_price: money(subtotal),
    tags: 'tag1, tag2',
    taxes_included: false,
    test: true,
    token: '123456abcd',
    total_discounts: money(discount),
    total_line_items_price: money(itemsTotal),
    total_price: money(total),
    total_shipping_price_set: { shop_money: { amount: money(shipping), currency_code: 'USD' }, presentment_money: { amount: money(shipping), currency_code: 'USD' } },
    total_tax: '0.00',
    total_weight: 0,
    updated_at: createdAt,
    user_id: null,
    billing_address: { first_name: 'Steve', address1: '123 Shipping Street', city: 'Shippington', zip: '40003', province: 'Kentucky', country: 'United States', last_name: 'Shipper', country_code: 'US', province_code: 'KY' },
    customer:
      customerId === null
        ? null
        : {
            id: '__CUSTOMER_ID__',
            email: 'john@example.com',
            created_at: null,
            updated_at: null,
            first_name: 'John',
            last_name: 'Smith',
            state: 'disabled',
            verified_email: true,
            currency: 'USD',
            admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
          },
    line_items: items.map((li, i) => ({
      id: DEFAULT_LINE_ITEM_IDS[i] ?? li.variantId * 100 + i,
      admin_graphql_api_id: `gid://shopify/LineItem/${DEFAULT_LINE_ITEM_IDS[i] ?? li.variantId * 100 + i}`,
      fulfillable_quantity: li.quantity,
      gift_card: false,
      grams: 567,
      name: li.variantTitle ? `${li.title} - ${li.variantTitle}` : li.title,
      price: money(li.price),
      product_exists: true,
      product_id: li.productId,
      properties: [],
      quantity: li.quantity,
      requires_shipping: true,
      sku: li.sku ?? null,
      taxable: true,
      title: li.title,
      total_discount: '0.00',
      variant_id: li.variantId,
      variant_title: li.variantTitle ?? null,
      vendor: li.vendor ?? null,
    })),
    shipping_lines: custom
      ? shipping > 0
        ? [{ id: 1058793308, carrier_identifier: null, code: 'Standard', discounted_price: money(shipping), phone: null, price: money(shipping), source: 'shopify', title: 'Standard', tax_lines: [] }]
        : []
      : [
      { id: 271878346596884015, carrier_identifier: null, code: null, discounted_price: '10.00', phone: null, price: '10.00', source: 'shopify', title: 'Generic Shipping', tax_lines: [] },
      { id: 1058793308, carrier_identifier: null, code: 'Standard', discounted_price: '5.00', phone: null, price: '5.00', source: 'shopify', title: 'Standard', tax_lines: [] },
    ],
  }
  // Bare JSON numbers for the two big ids, like Shopify's payload (JSON.stringify cannot write them).
  let json = JSON.stringify(order)
  json = json.replace('"__ORDER_ID__"', orderId)
  if (customerId !== null) json = json.replace('"__CUSTOMER_ID__"', customerId)
  return json
}

/** What an example `checkout_completed` varies on (same meaning as for the order). */
export type ExampleCheckoutOptions = Omit<ExampleOrderOptions, 'lineItems' | 'shippingPrice'>

/** A Web Pixels `checkout_completed` event for the same order as `exampleOrderWebhookBody`. */
export function exampleCheckoutCompleted(options: ExampleCheckoutOptions = {}): Record<string, unknown> {
  const orderId = options.orderId ?? EXAMPLE_ORDER_ID
  const customerId = options.customerId === undefined ? EXAMPLE_CUSTOMER_ID : options.customerId
  const email = options.email ?? 'jon@example.com'
  const variant = {
    id: '808950810',
    image: { src: '//cdn.shopify.com/s/files/1/0000/0001/products/ipod-nano.png' },
    price: { amount: 199.0, currencyCode: 'USD' },
    product: { id: '632910392', title: 'IPod Nano - 8GB', untranslatedTitle: 'IPod Nano - 8GB', vendor: 'Apple', type: 'Cult Products', url: '/products/ipod-nano' },
    sku: 'IPOD2008PINK',
    title: 'Pink',
    untranslatedTitle: 'Pink',
  }
  return {
    id: 'sh-88153c5a-8F2D-4CCA-3231-EF5C032A4C3B',
    name: 'checkout_completed',
    type: 'standard',
    clientId: 'xxxx-xxxx-xxxx-xxxx',
    seq: 3,
    timestamp: new Date(options.createdAt ?? '2026-12-01T17:34:57.000Z').toISOString(),
    context: { document: { location: { href: 'https://jsmith.myshopify.com/checkouts/cn/' + EXAMPLE_CHECKOUT_TOKEN + '/thank-you' } } },
    data: {
      checkout: {
        attributes: options.bridgeId === undefined ? [] : [{ key: 'mailstitch_anonymous_id', value: options.bridgeId }],
        billingAddress: null,
        buyerAcceptsEmailMarketing: true,
        buyerAcceptsSmsMarketing: false,
        currencyCode: 'USD',
        delivery: null,
        discountApplications: [{ allocationMethod: 'ACROSS', targetSelection: 'ALL', targetType: 'LINE_ITEM', title: 'WELCOME10', type: 'DISCOUNT_CODE', value: { amount: 10.0, currencyCode: 'USD' } }],
        discountsAmount: { amount: 10.0, currencyCode: 'USD' },
        email,
        lineItems: [
          { discountAllocations: [], finalLinePrice: { amount: 199.0, currencyCode: 'USD' }, id: '866550311766439020', properties: [], quantity: 1, sellingPlanAllocation: null, title: 'IPod Nano - 8GB', variant },
          { discountAllocations: [], finalLinePrice: { amount: 199.0, currencyCode: 'USD' }, id: '141249953214522974', properties: [], quantity: 1, sellingPlanAllocation: null, title: 'IPod Nano - 8GB', variant },
        ],
        localization: { country: { isoCode: 'US' }, language: { isoCode: 'en' }, market: { handle: 'us', id: 'gid://shopify/Market/1' } },
        order: { id: orderId, customer: customerId === null ? null : { id: customerId, isFirstOrder: false } },
        phone: null,
        shippingAddress: null,
        shippingLine: { price: { amount: 15.0, currencyCode: 'USD' } },
        smsMarketingPhone: null,
        subtotalPrice: { amount: 388.0, currencyCode: 'USD' },
        token: EXAMPLE_CHECKOUT_TOKEN,
        totalPrice: { amount: 403.0, currencyCode: 'USD' },
        totalTax: { amount: 0.0, currencyCode: 'USD' },
        transactions: [],
      },
    },
  }
}
