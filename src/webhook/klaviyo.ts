/**
 * Klaviyo system-webhook handler on Request/Response. Stateless (no store, no cursor): any number
 * of copies can run behind a load balancer, on Workers or on Lambda; a redelivery carries the same
 * messageIds (`klaviyo-<event id>`), which Segment deduplicates.
 *
 * Order of checks: size (413) → signature and timestamp window (401) → JSON (400) → webhook id
 * (401) → shape (400). Nothing is parsed, looked up or sent before the signature is verified.
 * Then: profiles (and metrics) the payload only references are looked up, batched
 * (klaviyo-lookup.ts); the events are mapped exactly as the poll maps them (src/shared/klaviyo-map.ts)
 * and delivered. 2xx only once Segment accepted every event; 503 with Retry-After otherwise, so
 * Klaviyo delivers again.
 */
import { isRelayedMetric, mapKlaviyoEvent, type KlaviyoProfileLike, type MapOptions, type RelayTrackMessage } from '../shared/klaviyo-map'
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRY_AFTER_SECONDS, jsonResponse, readBodyCapped } from './http'
import { boundedLog } from '../shared/log-line'
import type { DeliveryReport } from './segment-delivery'
import { readDeliveryItem, type DeliveryItem } from './klaviyo-payload'
import type { KlaviyoLookup } from './klaviyo-lookup'
import { DEFAULT_TOLERANCE_SECONDS, verifyKlaviyoSignature } from './signature'
import { recordOf } from '../shared/json'

/** Time allowed for profile and metric look-ups before answering 503, ms. */
export const DEFAULT_LOOKUP_BUDGET_MS = 10_000

/** Options of {@link handleKlaviyoWebhook}; the mapper's options ({@link MapOptions}) apply as the poll applies them. */
export interface KlaviyoWebhookOptions extends MapOptions {
  /** Webhook secret_key(s); several during a rotation. */
  secrets: readonly string[]
  /** Looks up profiles (and metrics) the payload only references. Without it such events are keyed to `klaviyo:<profile id>`. */
  lookup?: KlaviyoLookup
  /** Window into the past for `Klaviyo-Timestamp`, seconds (default 12 hours; see signature.ts). */
  toleranceSeconds?: number
  maxBodyBytes?: number
  /** Time allowed for look-ups, ms (default 10 s). */
  lookupBudgetMs?: number
  now?: () => number
  /** Called with a one-line summary of each request. */
  log?: (line: string) => void
}

/** Verify, stitch and deliver one Klaviyo system-webhook request. `deliver` resolves once Segment accepted the messages. */
export async function handleKlaviyoWebhook(
  request: Request,
  options: KlaviyoWebhookOptions,
  deliver: (messages: RelayTrackMessage[]) => Promise<DeliveryReport | void>,
): Promise<Response> {
  const log = boundedLog(options.log ?? (() => undefined))
  const now = options.now ?? Date.now
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const raw = await readBodyCapped(request, maxBody)
  if (raw === 'too_large') return jsonResponse(413, { ok: false, error: `body larger than ${maxBody} bytes` }, { connection: 'close' })

  const check = await verifyKlaviyoSignature({
    rawBody: raw,
    signature: request.headers.get('klaviyo-signature'),
    timestamp: request.headers.get('klaviyo-timestamp'),
    secret: options.secrets,
    toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    now: now(),
  })
  if (!check.ok) {
    log(`klaviyo webhook: refused (${check.reason})`)
    return jsonResponse(401, { ok: false, error: check.reason })
  }

  let doc: unknown
  try {
    doc = JSON.parse(new TextDecoder().decode(raw))
  } catch {
    return jsonResponse(400, { ok: false, error: 'malformed_json' })
  }
  const root = recordOf(doc)
  const headerId = request.headers.get('klaviyo-webhook-id')
  const metaId = recordOf(root.meta).klaviyo_webhook_id
  if (!headerId || typeof metaId !== 'string' || metaId !== headerId) return jsonResponse(401, { ok: false, error: 'webhook_id_mismatch' })
  if (!Array.isArray(root.data)) return jsonResponse(400, { ok: false, error: 'data_not_an_array' })

  const items = root.data.map(readDeliveryItem)
  const received = items.length
  let resolved: Resolved
  try {
    resolved = await resolveReferences(items, options.lookup, now() + (options.lookupBudgetMs ?? DEFAULT_LOOKUP_BUDGET_MS))
  } catch (err) {
    log(`klaviyo webhook: profile look-up failed (${err instanceof Error ? err.message : String(err)}); answering 503 so Klaviyo retries`)
    return jsonResponse(503, { ok: false, error: 'klaviyo_lookup_failed', received }, { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) })
  }

  const messages: RelayTrackMessage[] = []
  const seen = new Set<string>()
  for (const item of items) {
    const metricName = (item.metricId && resolved.metricNames.get(item.metricId)) || item.includedMetricName || item.topicMetricName
    if (!metricName || !isRelayedMetric(metricName)) continue
    const profile = item.includedProfile ?? (item.profileId ? resolved.profiles.get(item.profileId) : undefined)
    const message = mapKlaviyoEvent({ event: item.event, profile, metricName }, { integrations: options.integrations, linkParam: options.linkParam, machineOpens: options.machineOpens })
    if (!message || seen.has(message.messageId)) continue
    seen.add(message.messageId)
    messages.push(message)
  }
  const skipped = received - messages.length

  let report: DeliveryReport | void
  try {
    report = await deliver(messages)
  } catch (err) {
    log(`klaviyo webhook: Segment did not accept ${messages.length} event(s) (${err instanceof Error ? err.message : String(err)}); answering 503`)
    return jsonResponse(503, { ok: false, error: 'segment_unavailable', received, skipped }, { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) })
  }
  // Refused for good (Segment's 400 for that one event, or too large even cut): a redelivery would
  // be refused again, so the delivery is answered 200 (Klaviyo stops retrying) and says which.
  const refused = report ? report.refused : []
  const sent = messages.length - refused.length
  if (report?.truncated.length) log(`klaviyo webhook: ${report.truncated.length} event(s) cut to fit Segment's 32 KB (properties.truncated): ${report.truncated.slice(0, 10).join(', ')}`)
  for (const r of refused.slice(0, 20)) log(`klaviyo webhook: Segment refused ${r.messageId} for good (${r.reason}); the other events were delivered`)
  log(`klaviyo webhook: received ${received}, sent ${sent}, skipped ${skipped}` + (refused.length ? `, refused ${refused.length}` : ''))
  if (refused.length) return jsonResponse(200, { ok: true, received, sent, skipped, refused: refused.map((r) => r.messageId) })
  return jsonResponse(200, { ok: true, received, sent, skipped })
}

interface Resolved {
  profiles: Map<string, KlaviyoProfileLike | null>
  /** Metric id → the metric's own name, for metrics the payload did not include. */
  metricNames: Map<string, string>
}

/**
 * Look up what the payload only references: every missing profile in batched calls, and the
 * metric's own name when neither the payload nor the topic names it (best effort).
 * Rejects when a profile cannot be had in time: relaying without it would key the event to
 * `klaviyo:<profile id>`, and Segment would then drop the stitched copy of a later retry as a duplicate.
 */
async function resolveReferences(items: DeliveryItem[], lookup: KlaviyoLookup | undefined, deadline: number): Promise<Resolved> {
  const resolved: Resolved = { profiles: new Map(), metricNames: new Map() }
  if (!lookup) return resolved
  const profileIds = new Set<string>()
  const metricIds = new Set<string>()
  for (const item of items) {
    // The topic names the metric (email_delivered → Received Email): no Get Metric call for it.
    if (!item.includedMetricName && !item.topicMetricName && item.metricId) metricIds.add(item.metricId)
    const relayable = item.includedMetricName ? isRelayedMetric(item.includedMetricName) : item.topicMetricName !== undefined || item.metricId !== undefined
    if (relayable && !item.includedProfile && item.profileId) profileIds.add(item.profileId)
  }
  const [profiles] = await Promise.all([
    profileIds.size ? lookup.profiles(profileIds, deadline) : Promise.resolve(new Map<string, KlaviyoProfileLike | null>()),
    ...[...metricIds].map(async (id) => {
      const name = await lookup.metricName(id, deadline)
      if (name) resolved.metricNames.set(id, name)
    }),
  ])
  resolved.profiles = profiles
  return resolved
}

