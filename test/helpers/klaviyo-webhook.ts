/**
 * Test helpers (not shipped) for the Web-API webhook core: signed Klaviyo webhook requests built
 * by hand (independent of the code under test: node:crypto signs them), Klaviyo webhook items in
 * the published shape or with `included`, and an in-memory Segment delivery.
 */
import { createHmac } from 'node:crypto'
import type { SegmentTrackMessage } from '../../src/shared/segment-message'

/** One `data[]` item as the help centre's example payload has it (no `included`), or with `included`. */
export function klaviyoItem(o: {
  id: string
  topic: string
  profileId?: string
  metricId?: string
  datetime?: string
  properties?: Record<string, unknown>
  included?: { profile?: Record<string, unknown>; metricName?: string }
}): Record<string, unknown> {
  const profileId = o.profileId ?? 'PROF'
  const metricId = o.metricId ?? 'MET'
  const data = {
    type: 'event',
    id: o.id,
    attributes: { timestamp: 1776138600, datetime: o.datetime ?? '2026-04-14 03:50:00+00:00', uuid: `uuid-${o.id}`, event_properties: { $message: 'MSG', Subject: 'Sale', ...o.properties } },
    relationships: {
      profile: { data: { type: 'profile', id: profileId }, links: { self: `https://a.klaviyo.com/api/events/${o.id}/relationships/profile/`, related: `https://a.klaviyo.com/api/events/${o.id}/profile/` } },
      metric: { data: { type: 'metric', id: metricId }, links: { self: `https://a.klaviyo.com/api/events/${o.id}/relationships/metric/`, related: `https://a.klaviyo.com/api/events/${o.id}/metric/` } },
    },
    links: { self: `https://a.klaviyo.com/api/events/${o.id}/` },
  }
  const payload: Record<string, unknown> = { data }
  if (o.included) {
    const included: unknown[] = []
    if (o.included.profile) included.push({ type: 'profile', id: profileId, attributes: o.included.profile })
    if (o.included.metricName) included.push({ type: 'metric', id: metricId, attributes: { name: o.included.metricName } })
    payload.included = included
  }
  return { external_id: o.id, topic: o.topic, payload }
}

/** Options of {@link signedKlaviyoRequest}. */
export interface SignedRequestOptions {
  secret: string
  webhookId?: string
  /** `meta.klaviyo_webhook_id` (default: the header's). */
  metaId?: string
  /** `Klaviyo-Timestamp` value (default: `now` as an HTTP-date). */
  timestamp?: string
  now?: number
  /** Raw body instead of `{data, meta}`. */
  body?: string
  url?: string
  headers?: Record<string, string>
}

/** A Klaviyo system-webhook Request signed as Klaviyo signs it. */
export function signedKlaviyoRequest(data: unknown[], o: SignedRequestOptions): Request {
  const webhookId = o.webhookId ?? 'wh_1'
  const body = o.body ?? JSON.stringify({ data, meta: { klaviyo_account_id: 'AbC123', klaviyo_webhook_id: o.metaId ?? webhookId, timestamp: '2026-04-14T03:50:12+00:00', version: '2024-06-28' } })
  const timestamp = o.timestamp ?? new Date(o.now ?? Date.now()).toUTCString()
  const signature = createHmac('sha256', o.secret).update(body + timestamp).digest('hex')
  return new Request(o.url ?? 'https://relay.example/klaviyo', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'klaviyo-webhook-id': webhookId, 'klaviyo-timestamp': timestamp, 'klaviyo-signature': signature, ...o.headers },
    body,
  })
}

/** An in-memory Segment delivery: records what it accepted, or refuses while `failing`. */
export function memoryDelivery() {
  const state = {
    received: [] as SegmentTrackMessage<string, object>[],
    calls: 0,
    failing: false,
    deliver: async (messages: ReadonlyArray<SegmentTrackMessage<string, object>>): Promise<void> => {
      state.calls++
      if (state.failing) throw new Error('Segment answered 503')
      state.received.push(...messages)
    },
  }
  return state
}
