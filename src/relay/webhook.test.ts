import { afterEach, describe, expect, it } from 'vitest'
import { SegmentAuthError } from './errors'
import type { RelayTrackMessage } from '../shared/klaviyo-map'
import type { MessageSink } from './poll'
import type { SendResult } from './segment-sink'
import { startWebhookServer, type WebhookServer } from './serve'
import { computeKlaviyoSignature } from './signature'
import { createWebhookHandler } from './webhook'

const SECRET = 'whsec_unit'
const NOW = Date.parse('2026-04-14T03:50:12Z')

class MemorySink implements MessageSink {
  host = 'http://segment.test'
  received: RelayTrackMessage[] = []
  mode: 'ok' | 'fail' | 'auth' = 'ok'
  async send(messages: readonly RelayTrackMessage[]): Promise<SendResult> {
    if (this.mode === 'auth') throw new SegmentAuthError(401)
    if (this.mode === 'fail') return { accepted: new Set(), failed: messages.map((m) => ({ messageId: m.messageId, reason: '[503] Service Unavailable' })) }
    this.received.push(...messages)
    return { accepted: new Set(messages.map((m) => m.messageId)), failed: [] }
  }
}

const TOPIC_METRIC: Record<string, string> = {
  received_email: 'Received Email',
  opened_email: 'Opened Email',
  clicked_email: 'Clicked Email',
  bounced_email: 'Bounced Email',
  marked_email_as_spam: 'Marked Email as Spam',
  unsubscribed_from_email_marketing: 'Unsubscribed from Email Marketing',
  dropped_email: 'Dropped Email',
  received_sms: 'Received SMS',
}

function item(id: string, topic: string, opts: { withIncluded?: boolean; profile?: Record<string, unknown> } = {}) {
  const payload: Record<string, unknown> = {
    data: {
      type: 'event',
      id,
      attributes: { timestamp: 1776138600, datetime: '2026-04-14T03:50:00+00:00', uuid: 'u', event_properties: { $message: 'MSG', Subject: 'Sale', URL: 'https://shop.example/x' } },
      relationships: { profile: { data: { type: 'profile', id: 'PROF' } }, metric: { data: { type: 'metric', id: 'MET' } } },
    },
  }
  if (opts.withIncluded !== false) {
    payload.included = [
      { type: 'profile', id: 'PROF', attributes: { email: 'ada@example.com', external_id: null, properties: { segment_anonymous_id: 'bridge-1' }, ...opts.profile } },
      { type: 'metric', id: 'MET', attributes: { name: TOPIC_METRIC[topic.replace('event:klaviyo.', '')] } },
    ]
  }
  return { external_id: id, topic, payload }
}

function request(data: unknown[], o: { webhookId?: string; metaId?: string; ts?: string; secret?: string; body?: string } = {}) {
  const body = o.body ?? JSON.stringify({ data, meta: { klaviyo_account_id: 'AbC123', klaviyo_webhook_id: o.metaId ?? 'wh_1', timestamp: '2026-04-14T03:50:12+00:00', version: '2024-06-28' } })
  const ts = o.ts ?? new Date(NOW).toUTCString()
  const headers = {
    'content-type': 'application/json',
    'klaviyo-webhook-id': o.webhookId ?? 'wh_1',
    'klaviyo-timestamp': ts,
    'klaviyo-signature': computeKlaviyoSignature(body, ts, o.secret ?? SECRET),
  }
  return { body, headers }
}

const handlerWith = (sink: MessageSink, extra: Partial<Parameters<typeof createWebhookHandler>[0]> = {}) => createWebhookHandler({ secret: SECRET, sink, now: () => NOW, ...extra })

describe('webhook handler', () => {
  it('relays each email topic and answers 200 after Segment accepted', async () => {
    const sink = new MemorySink()
    const topics = ['received_email', 'opened_email', 'clicked_email', 'bounced_email', 'marked_email_as_spam', 'unsubscribed_from_email_marketing']
    const { body, headers } = request(topics.map((t, i) => item(`EV${i}`, `event:klaviyo.${t}`)))
    const res = await handlerWith(sink)(body, headers)
    expect(res).toMatchObject({ status: 200, body: { ok: true, received: 6, sent: 6, skipped: 0 } })
    expect(sink.received.map((m) => m.event)).toEqual(['Email Delivered', 'Email Opened', 'Email Link Clicked', 'Email Bounced', 'Email Marked as Spam', 'Unsubscribed'])
    expect(sink.received[2]).toMatchObject({ anonymousId: 'bridge-1', messageId: 'klaviyo-EV2', timestamp: '2026-04-14T03:50:00.000Z', properties: { link_url: 'https://shop.example/x' }, context: { traits: { email: 'ada@example.com' } } })
  })

  it('ignores topics outside the table and duplicates inside one request', async () => {
    const sink = new MemorySink()
    const { body, headers } = request([item('A', 'event:klaviyo.dropped_email'), item('B', 'event:klaviyo.received_sms'), item('C', 'event:klaviyo.opened_email'), item('C', 'event:klaviyo.opened_email')])
    const res = await handlerWith(sink)(body, headers)
    expect(res.body).toMatchObject({ received: 4, sent: 1, skipped: 3 })
    expect(sink.received.map((m) => m.messageId)).toEqual(['klaviyo-C'])
  })

  it('takes the metric from the topic when the payload includes none', async () => {
    const sink = new MemorySink()
    const { body, headers } = request([item('N1', 'event:klaviyo.clicked_email', { withIncluded: false }), item('N2', 'event:klaviyo.dropped_email', { withIncluded: false })])
    await handlerWith(sink)(body, headers)
    expect(sink.received.map((m) => [m.messageId, m.event])).toEqual([['klaviyo-N1', 'Email Link Clicked']])
  })

  it('works without included resources (keys to klaviyo:<profile id>) and with a bare event payload', async () => {
    const sink = new MemorySink()
    const bare = item('BARE', 'event:klaviyo.opened_email')
    bare.payload = (bare.payload as { data: Record<string, unknown> }).data
    const { body, headers } = request([item('NOINC', 'event:klaviyo.opened_email', { withIncluded: false }), bare])
    await handlerWith(sink)(body, headers)
    expect(sink.received.map((m) => m.anonymousId)).toEqual(['klaviyo:PROF', 'klaviyo:PROF'])
  })

  it('accepts fetch-style Headers and Buffer bodies', async () => {
    const sink = new MemorySink()
    const { body, headers } = request([item('H', 'event:klaviyo.opened_email')])
    const res = await handlerWith(sink)(Buffer.from(body), new Headers(headers))
    expect(res.status).toBe(200)
  })

  it('401 for a bad signature, a wrong secret, a stale or future timestamp', async () => {
    const sink = new MemorySink()
    const h = handlerWith(sink)
    const good = request([item('X', 'event:klaviyo.opened_email')])
    expect((await h(good.body, { ...good.headers, 'klaviyo-signature': '0'.repeat(64) })).body.error).toBe('bad_signature')
    const wrong = request([item('X', 'event:klaviyo.opened_email')], { secret: 'other' })
    expect((await h(wrong.body, wrong.headers)).status).toBe(401)
    const stale = request([item('X', 'event:klaviyo.opened_email')], { ts: new Date(NOW - 6 * 60_000).toUTCString() })
    expect(await h(stale.body, stale.headers)).toMatchObject({ status: 401, body: { error: 'stale_timestamp' } })
    const future = request([item('X', 'event:klaviyo.opened_email')], { ts: new Date(NOW + 6 * 60_000).toISOString() })
    expect((await h(future.body, future.headers)).status).toBe(401)
    const noSig = { ...good.headers } as Record<string, string>
    delete noSig['klaviyo-signature']
    expect((await h(good.body, noSig)).body.error).toBe('missing_signature')
    expect(sink.received).toHaveLength(0)
  })

  it('accepts ISO and epoch-second timestamps', async () => {
    const sink = new MemorySink()
    for (const ts of ['2026-04-14T03:50:12Z', String(NOW / 1000)]) {
      const r = request([item(`T${ts.length}`, 'event:klaviyo.opened_email')], { ts })
      expect((await handlerWith(sink)(r.body, r.headers)).status).toBe(200)
    }
  })

  it('401 when meta.klaviyo_webhook_id differs from the Klaviyo-Webhook-Id header', async () => {
    const r = request([item('X', 'event:klaviyo.opened_email')], { webhookId: 'wh_1', metaId: 'wh_other' })
    expect(await handlerWith(new MemorySink())(r.body, r.headers)).toMatchObject({ status: 401, body: { error: 'webhook_id_mismatch' } })
  })

  it('400 for correctly signed malformed JSON or a body without data[]', async () => {
    const h = handlerWith(new MemorySink())
    const bad = request([], { body: '{"data":[' })
    expect(await h(bad.body, bad.headers)).toMatchObject({ status: 400, body: { error: 'malformed_json' } })
    const noData = request([], { body: '{"meta":{"klaviyo_webhook_id":"wh_1"},"data":{}}' })
    expect((await h(noData.body, noData.headers)).status).toBe(400)
  })

  it('413 above the body cap, before any parsing', async () => {
    const r = request([item('X', 'event:klaviyo.opened_email')])
    expect((await handlerWith(new MemorySink(), { maxBodyBytes: 100 })(r.body, r.headers)).status).toBe(413)
  })

  it('503 with Retry-After when Segment does not accept; 500 when it rejects the write key', async () => {
    const sink = new MemorySink()
    const r = request([item('X', 'event:klaviyo.opened_email')])
    sink.mode = 'fail'
    expect(await handlerWith(sink)(r.body, r.headers)).toMatchObject({ status: 503, headers: { 'Retry-After': '30' } })
    sink.mode = 'auth'
    expect(await handlerWith(sink)(r.body, r.headers)).toMatchObject({ status: 500, body: { error: 'segment_auth' } })
  })
})

describe('webhook server', () => {
  let server: WebhookServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('serves POST on any path, GET /healthz, 405 otherwise, and 413 for a body over the cap', async () => {
    const sink = new MemorySink()
    server = await startWebhookServer({ handler: handlerWith(sink), port: 0, host: '127.0.0.1', maxBodyBytes: 64 * 1024 })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/x`, { method: 'PUT', body: 'x' })).status).toBe(405)
    const r = request([item('S1', 'event:klaviyo.opened_email')])
    const ok = await fetch(`${server.url}/klaviyo/webhook`, { method: 'POST', headers: r.headers, body: r.body })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ ok: true, sent: 1 })
    const big = await fetch(`${server.url}/`, { method: 'POST', headers: r.headers, body: 'x'.repeat(200 * 1024) })
    expect(big.status).toBe(413)
    expect(sink.received).toHaveLength(1)
  })
})
