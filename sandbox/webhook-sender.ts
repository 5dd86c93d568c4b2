/**
 * Sends Klaviyo system-webhook requests, so the relay's `serve` mode can be exercised locally.
 *
 * Shape (Klaviyo developer guide "Working with system webhooks"): body
 * `{"data":[{"external_id":"<event id>","topic":"event:klaviyo.<topic>","payload":{<Get Event>}}],
 *   "meta":{"klaviyo_account_id","klaviyo_webhook_id","timestamp","version"}}`
 * and headers `Klaviyo-Webhook-Id`, `Klaviyo-Timestamp`, `Klaviyo-Signature` =
 * hex HMAC-SHA256(secret, rawBody + Klaviyo-Timestamp value).
 *
 * By default the payload is Klaviyo's PUBLISHED example (help centre "Understand webhooks in
 * Advanced KDP", article 17760478970907, "Example payload"): `payload = {data: <event>}` only, the
 * metric and profile as relationships (`{data: {id, type}, links}`), **no `included`** (so no metric
 * name, no email, no profile properties), and `datetime` written with a space
 * (`2023-08-10 07:21:56+00:00`). That is the less convenient shape for a receiver, so it is the
 * default; `includeRelated: true` adds `included` (profile and metric) as a Get Event call with
 * `include=profile,metric` would. The `Klaviyo-Timestamp` format is not pinned by Klaviyo's pages;
 * an HTTP-date is sent unless one is given.
 */
import { createHmac } from 'node:crypto'
import { eventDocument, type EventLookup, type KlaviyoEvent, type KlaviyoIntegration, type KlaviyoMetric, type KlaviyoProfile, type KlaviyoStore } from './klaviyo-emulator'

const KLAVIYO_INTEGRATION_REF: KlaviyoIntegration = { object: 'integration', id: '0rG4eQ', key: 'klaviyo', name: 'Klaviyo', category: 'Internal' }

/** The email topics Klaviyo offers, keyed by metric name. */
export const KLAVIYO_WEBHOOK_TOPICS: Readonly<Record<string, string>> = {
  'Received Email': 'event:klaviyo.received_email',
  'Opened Email': 'event:klaviyo.opened_email',
  'Clicked Email': 'event:klaviyo.clicked_email',
  'Bounced Email': 'event:klaviyo.bounced_email',
  'Dropped Email': 'event:klaviyo.dropped_email',
  'Marked Email as Spam': 'event:klaviyo.marked_email_as_spam',
  'Unsubscribed from Email Marketing': 'event:klaviyo.unsubscribed_from_email_marketing',
  Unsubscribed: 'event:klaviyo.unsubscribed_from_email_marketing',
}

/** Topic for a metric name: the table above, else `event:klaviyo.<snake_case name>`. */
export function topicForMetric(name: string, overrides: Record<string, string> = {}): string {
  return overrides[name] ?? KLAVIYO_WEBHOOK_TOPICS[name] ?? `event:klaviyo.${name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`
}

/** Hex HMAC-SHA256 over `rawBody + timestamp`, as Klaviyo signs system webhooks. */
export function signKlaviyoWebhook(rawBody: string | Buffer, timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).update(timestamp).digest('hex')
}

/** An event with what the payload needs (or a bare event plus `store` to look these up). */
export interface WebhookEventInput {
  event: KlaviyoEvent
  metric: Pick<KlaviyoMetric, 'id' | 'name'> & Partial<KlaviyoMetric>
  profile?: KlaviyoProfile
}

/** Options of {@link buildKlaviyoWebhook} / {@link sendKlaviyoWebhook}. */
export interface KlaviyoWebhookOptions {
  /** Signing secret (`secret_key` of the webhook). */
  secret: string
  /** Webhook id: sent in the header and in `meta.klaviyo_webhook_id`. */
  webhookId: string
  /** Events to deliver in one request (Klaviyo batches them). */
  events: Array<KlaviyoEvent | WebhookEventInput>
  /** Resolves metric/profile of bare events; required when passing bare events. */
  store?: KlaviyoStore
  /** `meta.klaviyo_account_id` (default: the store's account id, else `AbC123`). */
  accountId?: string
  /** Metric name → topic overrides. */
  topics?: Record<string, string>
  /** `Klaviyo-Timestamp` header value (default: now as an HTTP-date). */
  timestamp?: string
  /** `meta.timestamp` (default: now, ISO with `+00:00`). */
  metaTimestamp?: string
  /** `meta.version` (default `2024-06-28`, as seen in real deliveries). */
  version?: string
  /** Put the profile and metric in `payload.included` (default false: Klaviyo's published example has no `included`). */
  includeRelated?: boolean
  /** Base for `links` inside the payload (default https://a.klaviyo.com). */
  linkBase?: string
  /** Extra or overriding headers (e.g. a bad signature for negative tests). */
  headers?: Record<string, string>
}

/** A built (signed) webhook request. */
export interface KlaviyoWebhookRequest {
  rawBody: string
  headers: Record<string, string>
  body: { data: Array<{ external_id: string; topic: string; payload: unknown }>; meta: Record<string, string> }
}

function resolve(input: KlaviyoEvent | WebhookEventInput, store?: KlaviyoStore): WebhookEventInput {
  if ('event' in input && 'metric' in input) return input
  const event = input as KlaviyoEvent
  if (!store) throw new Error('sendKlaviyoWebhook: pass `store` to send bare events, or {event, metric, profile}')
  const metric = store.getMetric(event.metric_id)
  if (!metric) throw new Error(`sendKlaviyoWebhook: unknown metric ${event.metric_id}`)
  return { event, metric, profile: store.getProfile(event.profile_id) }
}

/** `2026-07-01T12:00:00.000Z` → `2026-07-01 12:00:00+00:00`, as Klaviyo's example payload writes it. */
export function publishedDatetime(iso: string): string {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return iso
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '+00:00')
}

/** Build the body and signed headers of a Klaviyo system-webhook request without sending it. */
export function buildKlaviyoWebhook(opts: KlaviyoWebhookOptions): KlaviyoWebhookRequest {
  const linkBase = opts.linkBase ?? 'https://a.klaviyo.com'
  const includeRelated = opts.includeRelated ?? false
  const data = opts.events.map((raw) => {
    const { event, metric, profile } = resolve(raw, opts.store)
    // Bare events resolve through the store; given objects through a lookup over themselves.
    const lookup: EventLookup =
      opts.store && !('event' in raw)
        ? opts.store
        : {
            getProfile: (id) => (profile && profile.id === id ? profile : undefined),
            getMetric: (id) => (metric.id === id ? { created: '', updated: '', integration: KLAVIYO_INTEGRATION_REF, ...metric } : undefined),
          }
    const doc = eventDocument(lookup, event, linkBase, includeRelated ? ['profile', 'metric'] : [])
    // The published example writes the event time with a space: `2023-08-10 07:21:56+00:00`.
    const eventData = { ...doc.data, attributes: { ...(doc.data.attributes as Record<string, unknown>), datetime: publishedDatetime(event.datetime) } }
    const payload = includeRelated ? { data: eventData, included: doc.included } : { data: eventData }
    return { external_id: event.id, topic: topicForMetric(metric.name, opts.topics), payload }
  })
  const now = new Date()
  const meta = {
    klaviyo_account_id: opts.accountId ?? opts.store?.accountId ?? 'AbC123',
    klaviyo_webhook_id: opts.webhookId,
    timestamp: opts.metaTimestamp ?? now.toISOString().replace('Z', '+00:00'),
    version: opts.version ?? '2024-06-28',
  }
  const body = { data, meta }
  const rawBody = JSON.stringify(body)
  const timestamp = opts.timestamp ?? now.toUTCString()
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Klaviyo-Webhook-Id': opts.webhookId,
    'Klaviyo-Timestamp': timestamp,
    'Klaviyo-Signature': signKlaviyoWebhook(rawBody, timestamp, opts.secret),
    ...(opts.headers ?? {}),
  }
  return { rawBody, headers, body }
}

/** Result of {@link sendKlaviyoWebhook}. */
export interface KlaviyoWebhookResult {
  status: number
  /** Response body as text. */
  responseBody: string
  /** What was sent. */
  request: KlaviyoWebhookRequest
}

/** POST a signed Klaviyo system webhook to `url`. */
export async function sendKlaviyoWebhook(opts: KlaviyoWebhookOptions & { url: string; signal?: AbortSignal }): Promise<KlaviyoWebhookResult> {
  const request = buildKlaviyoWebhook(opts)
  const res = await fetch(opts.url, { method: 'POST', headers: request.headers, body: request.rawBody, signal: opts.signal })
  return { status: res.status, responseBody: await res.text(), request }
}
