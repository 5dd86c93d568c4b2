/**
 * Klaviyo system-webhook handler, framework-free: give it the raw body and the headers, get back a
 * status and a JSON body. Stateless (no store, no cursor), so any number of copies can run behind a
 * load balancer or as serverless functions: duplicates from Klaviyo retries carry the same messageId,
 * which Segment deduplicates.
 *
 * Order of checks: size (413) → signature and timestamp window (401) → JSON (400) → webhook id
 * (401) → shape (400). Nothing is parsed before the signature is verified.
 * Answers 2xx only after Segment accepted every relayed event; 503 otherwise so Klaviyo retries.
 */
import { SegmentAuthError } from './errors'
import { WEBHOOK_TOPIC_TO_METRIC, isRelayedMetric, mapKlaviyoEvent, type KlaviyoEventLike, type KlaviyoProfileLike, type MapOptions, type RelayTrackMessage } from '../shared/klaviyo-map'
import type { MessageSink } from './poll'
import { DEFAULT_TOLERANCE_SECONDS, verifyKlaviyoSignature } from './signature'

/**
 * Default request body cap: 4 MiB. Klaviyo batches events into one request (reportedly up to
 * 1,000, each with its profile included, which can pass 1 MiB), and a refused batch would be
 * retried by Klaviyo forever; anything past this is not a Klaviyo delivery.
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

/** Request headers: Node's IncomingHttpHeaders, a plain object, or a fetch `Headers`. */
export type HeadersInput = Record<string, string | string[] | undefined> | { get(name: string): string | null }

/** JSON body of a webhook answer. */
export interface WebhookResponseBody {
  ok: boolean
  /** Why the request was refused (absent on success). */
  error?: string
  received?: number
  sent?: number
  skipped?: number
}

/** What to answer Klaviyo. */
export interface WebhookResponse {
  status: number
  headers: Record<string, string>
  body: WebhookResponseBody
}

/** Options of {@link createWebhookHandler}. */
export interface WebhookHandlerOptions {
  /** Webhook secret_key (several during a rotation). */
  secret: string | readonly string[]
  sink: MessageSink
  toleranceSeconds?: number
  maxBodyBytes?: number
  integrations?: Record<string, boolean> | null
  /** Bridge-token query parameter to strip from clicked links (see map.ts). */
  linkParam?: string
  now?: () => number
  /** Called with a one-line summary of each request. */
  log?: (line: string) => void
}

/** A webhook handler: raw body + headers → response. */
export type WebhookHandler = (rawBody: Uint8Array | string, headers: HeadersInput) => Promise<WebhookResponse>

/** Build a stateless Klaviyo webhook handler. */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  return async (rawBody, headers) => {
    const size = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.byteLength
    if (size > maxBody) return reply(413, { ok: false, error: `body larger than ${maxBody} bytes` })

    const timestamp = header(headers, 'klaviyo-timestamp')
    const check = verifyKlaviyoSignature({
      rawBody,
      signature: header(headers, 'klaviyo-signature'),
      timestamp,
      secret: options.secret,
      toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      now: options.now?.(),
    })
    if (!check.ok) return reply(401, { ok: false, error: check.reason })

    let doc: unknown
    try {
      doc = JSON.parse(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength).toString('utf8'))
    } catch {
      return reply(400, { ok: false, error: 'malformed_json' })
    }
    const root = asRecord(doc)
    const headerId = header(headers, 'klaviyo-webhook-id')
    const metaId = asRecord(root.meta).klaviyo_webhook_id
    if (!headerId || typeof metaId !== 'string' || metaId !== headerId) return reply(401, { ok: false, error: 'webhook_id_mismatch' })
    if (!Array.isArray(root.data)) return reply(400, { ok: false, error: 'data_not_an_array' })

    const messages: RelayTrackMessage[] = []
    const ids = new Set<string>()
    let skipped = 0
    for (const item of root.data) {
      const msg = toMessage(asRecord(item), { integrations: options.integrations, linkParam: options.linkParam })
      if (!msg || ids.has(msg.messageId)) {
        skipped++
        continue
      }
      ids.add(msg.messageId)
      messages.push(msg)
    }

    let sent = 0
    try {
      const result = await options.sink.send(messages)
      sent = result.accepted.size
      if (result.failed.length) {
        options.log?.(`webhook: ${result.failed.length} event(s) not accepted by Segment (${result.failed[0].reason}); answering 503`)
        return reply(503, { ok: false, error: 'segment_unavailable', received: root.data.length, sent, skipped }, { 'Retry-After': '30' })
      }
    } catch (err) {
      const auth = err instanceof SegmentAuthError
      options.log?.(`webhook: ${err instanceof Error ? err.message : String(err)}`)
      return reply(auth ? 500 : 503, { ok: false, error: auth ? 'segment_auth' : 'segment_unavailable', received: root.data.length, skipped }, auth ? {} : { 'Retry-After': '30' })
    }
    options.log?.(`webhook: received ${root.data.length}, sent ${sent}, skipped ${skipped}`)
    return reply(200, { ok: true, received: root.data.length, sent, skipped })
  }
}

/**
 * Turn one `data[]` item (`{external_id, topic, payload}`) into a message. `payload` has the shape of
 * a Get Event response (`{data, included}`); a bare event resource is accepted too.
 */
function toMessage(item: Record<string, unknown>, mapOptions: MapOptions): RelayTrackMessage | null {
  const payload = asRecord(item.payload)
  const data = asRecord(payload.data)
  const event = (Object.keys(data).length ? data : payload) as KlaviyoEventLike & Record<string, unknown>
  const included = Array.isArray(payload.included) ? payload.included.map(asRecord) : []

  // The included metric names the event exactly; the topic is the fallback when it is not included.
  const metricId = event.relationships?.metric?.data?.id
  const includedMetric = included.find((r) => r.type === 'metric' && (!metricId || r.id === metricId))
  const includedName = asRecord(includedMetric?.attributes).name
  const metricName = typeof includedName === 'string' ? includedName : typeof item.topic === 'string' ? WEBHOOK_TOPIC_TO_METRIC[item.topic] : undefined
  if (!metricName || !isRelayedMetric(metricName)) return null

  // `external_id` of the item is the event id; use it when the payload omits one.
  const eventWithId: KlaviyoEventLike = event.id ? event : { ...event, id: typeof item.external_id === 'string' ? item.external_id : null }
  const profileId = event.relationships?.profile?.data?.id
  const profile = included.find((r) => r.type === 'profile' && (!profileId || r.id === profileId)) as KlaviyoProfileLike | undefined
  return mapKlaviyoEvent({ event: eventWithId, profile, metricName }, mapOptions)
}

function header(headers: HeadersInput, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined
  const h = headers as Record<string, string | string[] | undefined>
  let v = h[name]
  if (v === undefined) {
    const key = Object.keys(h).find((k) => k.toLowerCase() === name)
    v = key ? h[key] : undefined
  }
  return Array.isArray(v) ? v[0] : v
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function reply(status: number, body: WebhookResponseBody, headers: Record<string, string> = {}): WebhookResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body }
}
