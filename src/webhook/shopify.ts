/**
 * Shopify order webhooks → Segment, Web APIs only (fetch's Request/Response, crypto.subtle,
 * TextEncoder), so the same code runs under `relay serve`, Cloudflare Workers and AWS Lambda.
 *
 * Shopify's rules this follows (https://shopify.dev/docs/apps/build/webhooks, "Verify the webhook"
 * and "Troubleshooting webhooks"): `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw
 * body with the app's client secret (or the secret the admin shows for webhooks made there);
 * Shopify waits 5 s for an answer, treats anything but 2xx (and a timeout) as a failure, retries
 * over hours, and removes app-made subscriptions after repeated failures. So:
 * - forged, unsigned or oversized: 401/413, nothing sent;
 * - a topic not relayed, or an order with no visitor to key it to: 200 and a log line (a retry
 *   would not change anything);
 * - 200 once Segment accepted the message, 503 only when it did not (or not in time), so Shopify
 *   retries; the contract's fixed messageId makes the retry, a redelivery and the web pixel's copy
 *   of the same order one event in Segment.
 *
 * Orders without the `mailstitch_anonymous_id` attribute (CONTRACT.md, "Orders without the
 * attribute"): with a Klaviyo look-up configured, the order's email is looked up (Get Profiles by
 * email, cached, within the Get Profiles rate budget the Klaviyo webhooks share) and its profile's
 * bridge id keys the order. Where the attribute is present it wins, and a different email bridge
 * id adds `Visitor Linked` on the attribute's id. When Klaviyo cannot answer in time an order
 * without the attribute is not sent at all (503, Shopify retries): sent keyed to the customer
 * alone, its keyed retry would be dropped by Segment as a duplicate. An order with the attribute
 * is sent, and the 503 brings its `Visitor Linked` on the retry.
 */
import { mapShopifyOrder, shopifyOrderKeys, type ShopifyOrderKeys, type ShopifyOrdersMode } from '../shared/shopify-order'
import { profileBridgeId } from '../shared/klaviyo-map'
import type { SegmentTrackMessage } from '../shared/segment-message'
import { RELAY_NAME, version } from '../shared/version'
import { DEFAULT_RETRY_AFTER_SECONDS, readBodyCapped } from './http'
import { boundedLog } from '../shared/log-line'
import type { KlaviyoLookup } from './klaviyo-lookup'

/** Options of {@link handleShopifyWebhook}. */
export interface ShopifyWebhookOptions {
  /** Shopify app client secret(s) / admin webhook signing secret(s); several during a rotation. */
  secrets: readonly string[]
  /** 'completed' (default) sends Order Completed; 'link' sends Order Linked (SHOPIFY_ORDERS). */
  orders?: ShopifyOrdersMode
  /** Topics relayed; default ['orders/create']. */
  topics?: readonly string[]
  /** Largest body accepted (default 1 MiB). */
  maxBodyBytes?: number
  /** How long the look-up and `deliver` may take together before answering 503 (default 4000 ms, inside Shopify's 5 s). */
  deliverTimeoutMs?: number
  /** Looks the order's email up in Klaviyo (KLAVIYO_PRIVATE_KEY set); without it only the attribute and the customer key an order. */
  lookup?: KlaviyoLookup
  /** Most of that time the Klaviyo look-up may take, ms (default 2000). */
  lookupBudgetMs?: number
  now?: () => number
  log?: (line: string) => void
}

/** Retry-After of a 503 answered because Klaviyo could not be asked, seconds. */
const LOOKUP_RETRY_AFTER_S = '30'
const DEFAULT_LOOKUP_BUDGET_MS = 2000

/** Default topics: `orders/create` fires when the checkout completes, as the pixel does. */
const DEFAULT_SHOPIFY_TOPICS: readonly string[] = ['orders/create']
/** Default body cap: Shopify's order payloads are tens of KB; a 1 MiB order is not an order. */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
const DEFAULT_DELIVER_TIMEOUT_MS = 4000

/** Verify, map and deliver one Shopify order webhook. `deliver` resolves once Segment accepted the
 *  messages and rejects when it did not (the handler then answers 503 so Shopify retries). */
export async function handleShopifyWebhook(
  request: Request,
  options: ShopifyWebhookOptions,
  deliver: (messages: SegmentTrackMessage[]) => Promise<void>,
): Promise<Response> {
  // Webhook id and topic come from the request: the line is escaped and cut, never a forged header verbatim.
  const log = boundedLog(options.log ?? (() => {}))
  const now = options.now ?? Date.now
  const deliverTimeoutMs = options.deliverTimeoutMs ?? DEFAULT_DELIVER_TIMEOUT_MS
  const webhookId = request.headers.get('x-shopify-webhook-id') ?? '-'
  const topic = request.headers.get('x-shopify-topic') ?? ''
  const say = (line: string) => log(`shopify webhook ${webhookId} (${topic || 'no topic'}): ${line}`)
  try {
    if (request.method !== 'POST') return answer(405, 'method not allowed')
    const signature = request.headers.get('x-shopify-hmac-sha256')
    if (!signature) return answer(401, 'missing X-Shopify-Hmac-Sha256')

    const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const body = await readBodyCapped(request, max)
    if (body === 'too_large') {
      say(`refused: body larger than ${max} bytes`)
      return answer(413, 'payload too large')
    }
    if (!(await verifyShopifyHmac(body, signature, options.secrets))) {
      say('refused: HMAC does not match any configured secret')
      return answer(401, 'invalid signature')
    }

    const topics = options.topics ?? DEFAULT_SHOPIFY_TOPICS
    if (!topics.includes(topic)) {
      say('ignored: topic not relayed')
      return answer(200, 'topic ignored')
    }

    let order: unknown
    try {
      order = JSON.parse(new TextDecoder().decode(body))
    } catch {
      say('refused: body is not JSON')
      return answer(400, 'invalid JSON')
    }

    const keys = shopifyOrderKeys(order)
    const budget = Math.min(options.lookupBudgetMs ?? DEFAULT_LOOKUP_BUDGET_MS, deliverTimeoutMs)
    const { emailBridgeId, lookupFailed, lookupMs } = await emailBridgeIdOf(keys, options.lookup, budget, now)
    if (lookupFailed && !keys.attributeBridgeId) {
      say(`Klaviyo look-up of order ${keys.orderId}'s email failed (${lookupFailed}); answering 503 so Shopify retries, nothing sent`)
      return answer(503, 'klaviyo lookup failed', { 'retry-after': LOOKUP_RETRY_AFTER_S })
    }

    const mapped = mapShopifyOrder(order, { mode: options.orders, library: { name: RELAY_NAME, version }, emailBridgeId })
    if (!mapped.ok) {
      const which = mapped.orderId ? `order ${mapped.orderId}` : 'order'
      const why = mapped.reason !== 'no_visitor' ? 'no order id' : options.lookup ? 'neither mailstitch_anonymous_id, nor a bridge id for its email, nor a customer' : 'neither mailstitch_anonymous_id nor a customer'
      say(`skipped ${which}: ${why}`)
      return answer(200, 'skipped')
    }

    const messages: SegmentTrackMessage[] = mapped.linked ? [mapped.message, mapped.linked] : [mapped.message]
    const timeoutMs = Math.max(1, deliverTimeoutMs - lookupMs)
    const sent = await withTimeout(Promise.resolve().then(() => deliver(messages)), timeoutMs)
    const ids = messages.map((m) => m.messageId).join(' + ')
    if (sent !== 'ok') {
      say(`Segment did not accept ${ids}: ${sent}; answering 503 so Shopify retries`)
      return answer(503, 'segment unavailable')
    }
    const keyedBy = keys.attributeBridgeId ? 'the cart attribute' : emailBridgeId ? 'the email\'s bridge id' : 'the customer id'
    if (lookupFailed) {
      say(`sent ${mapped.message.event} ${ids} keyed by ${keyedBy}; Klaviyo look-up failed (${lookupFailed}): answering 503 so Shopify retries for the Visitor Linked check`)
      return answer(503, 'klaviyo lookup failed', { 'retry-after': LOOKUP_RETRY_AFTER_S })
    }
    say(`sent ${mapped.message.event} ${ids} keyed by ${keyedBy}`)
    return answer(200, 'ok')
  } catch (error) {
    // Never let one request take the server down; a 500 makes Shopify retry.
    say(`failed: ${describe(error)}`)
    return answer(500, 'internal error')
  }
}

/** What the Klaviyo look-up of an order's email gave: its bridge id, or why there is none, and how long it took. */
interface EmailLookup {
  emailBridgeId?: string
  /** Why Klaviyo could not be asked in time (the order must then not be sent unkeyed). */
  lookupFailed?: string
  lookupMs: number
}

/** The bridge id of the order's email (Get Profiles by email, within `budgetMs`); nothing to ask without a look-up, an order id or an email. */
async function emailBridgeIdOf(keys: ShopifyOrderKeys, lookup: KlaviyoLookup | undefined, budgetMs: number, now: () => number): Promise<EmailLookup> {
  if (!lookup || !keys.orderId || !keys.email) return { lookupMs: 0 }
  const started = now()
  try {
    const emailBridgeId = profileBridgeId(await lookup.profileByEmail(keys.email, started + budgetMs))
    return { emailBridgeId, lookupMs: Math.max(0, now() - started) }
  } catch (error) {
    return { lookupFailed: describe(error), lookupMs: Math.max(0, now() - started) }
  }
}

/** Whether `signature` (base64) is the HMAC-SHA256 of `body` under one of `secrets`, compared in constant time. */
export async function verifyShopifyHmac(body: Uint8Array<ArrayBuffer>, signature: string, secrets: readonly string[]): Promise<boolean> {
  const given = signature.trim()
  let matched = false
  for (const secret of secrets) {
    if (!secret) continue
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const expected = toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, body)))
    // Every secret is tried (no early exit), so timing does not tell which one matched.
    if (constantTimeEqual(expected, given)) matched = true
  }
  return matched
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false // the length of a base64 SHA-256 (44) is public
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

/** 'ok', or why not: the rejection's message, or 'timed out'. */
async function withTimeout(work: Promise<void>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms)
  })
  try {
    return await Promise.race([work.then(() => 'ok', (error: unknown) => describe(error)), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function answer(status: number, message: string, headers: Record<string, string> = {}): Response {
  // Every 503 says when to come back, whichever step made it.
  const retry: Record<string, string> = status === 503 ? { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) } : {}
  return new Response(JSON.stringify({ ok: status < 300, message }), { status, headers: { 'content-type': 'application/json', ...retry, ...headers } })
}
