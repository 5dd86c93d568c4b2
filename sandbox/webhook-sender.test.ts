import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import http from 'node:http'
import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { KlaviyoStore } from './klaviyo-emulator'
import { buildKlaviyoWebhook, sendKlaviyoWebhook, signKlaviyoWebhook, topicForMetric } from './webhook-sender'

interface Received {
  headers: http.IncomingHttpHeaders
  raw: string
}

let server: http.Server
let url: string
const received: Received[] = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => {
      received.push({ headers: req.headers, raw })
      res.statusCode = 200
      res.end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/klaviyo`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

function seeded() {
  const store = new KlaviyoStore({ accountId: 'AbC123' })
  const { profile } = store.createOrUpdateProfile({ email: 'ada@example.com', external_id: 'u1', anonymous_id: 'anon-ada', properties: { segment_anonymous_id: 'anon-ada' } })
  const opened = store.recordEvent({ metricName: 'Opened Email', profileId: profile.id, time: '2026-07-01T12:00:00Z', properties: { Subject: 'Hi', $message: 'M1' } })
  const clicked = store.recordEvent({ metricName: 'Clicked Email', profileId: profile.id, time: '2026-07-01T12:01:00Z', properties: { URL: 'https://shop.example/?mst=anon-ada' } })
  return { store, profile, opened, clicked }
}

describe('Klaviyo system webhooks', () => {
  it("posts a signed batch in Klaviyo's published shape by default: relationships only, datetime with a space", async () => {
    const { store, profile, opened, clicked } = seeded()
    const result = await sendKlaviyoWebhook({ url, secret: 's3cret', webhookId: '01WEBHOOK', events: [opened, clicked], store })
    const body = JSON.parse(received.at(-1)!.raw)
    expect(body.data[0].payload).toEqual({ data: expect.objectContaining({ id: opened.id }) })
    expect(body.data[0].payload.data.attributes.datetime).toBe('2026-07-01 12:00:00+00:00')
    expect(body.data[0].payload.data.relationships.profile).toEqual({ data: { type: 'profile', id: profile.id }, links: expect.objectContaining({ related: expect.stringContaining(`/api/events/${opened.id}/profile/`) }) })
    expect(result.request.rawBody).not.toMatch(/ada@example\.com|"segment_anonymous_id"|"included"/)
  })

  it('posts a signed batch with `included` on request', async () => {
    const { store, profile, opened, clicked } = seeded()
    const result = await sendKlaviyoWebhook({ url, secret: 's3cret', webhookId: '01WEBHOOK', events: [opened, clicked], store, includeRelated: true })
    expect(result.status).toBe(200)
    const got = received.at(-1)!
    expect(got.headers['klaviyo-webhook-id']).toBe('01WEBHOOK')
    expect(got.headers['content-type']).toBe('application/json')
    const ts = String(got.headers['klaviyo-timestamp'])
    expect(Number.isNaN(Date.parse(ts))).toBe(false)
    // Independent check of the signature: hex HMAC-SHA256(secret, raw body + timestamp header).
    const expected = createHmac('sha256', 's3cret').update(got.raw + ts).digest('hex')
    expect(got.headers['klaviyo-signature']).toBe(expected)
    expect(signKlaviyoWebhook(got.raw, ts, 's3cret')).toBe(expected)

    const body = JSON.parse(got.raw)
    expect(body.meta).toMatchObject({ klaviyo_account_id: 'AbC123', klaviyo_webhook_id: '01WEBHOOK', version: '2024-06-28' })
    expect(body.data.map((d: { topic: string }) => d.topic)).toEqual(['event:klaviyo.opened_email', 'event:klaviyo.clicked_email'])
    const first = body.data[0]
    expect(first.external_id).toBe(opened.id)
    expect(first.payload.data).toMatchObject({
      type: 'event',
      id: opened.id,
      attributes: { datetime: '2026-07-01 12:00:00+00:00', timestamp: 1782907200, event_properties: { Subject: 'Hi', $message: 'M1' } },
      relationships: { profile: { data: { type: 'profile', id: profile.id } }, metric: { data: { type: 'metric', id: opened.metric_id } } },
    })
    const included = first.payload.included as Array<{ type: string; attributes: Record<string, unknown> }>
    expect(included.find((r) => r.type === 'profile')?.attributes).toMatchObject({ email: 'ada@example.com', external_id: 'u1', properties: { segment_anonymous_id: 'anon-ada' } })
    expect(included.find((r) => r.type === 'metric')?.attributes).toMatchObject({ name: 'Opened Email' })
    expect(got.raw).not.toMatch(/"anonymous_id"|"_kx"/)
  })

  it('builds from given objects without a store, and can leave related resources out', () => {
    const { store, profile, opened } = seeded()
    const metric = store.getMetric(opened.metric_id)!
    const req = buildKlaviyoWebhook({ secret: 'k', webhookId: 'W', events: [{ event: opened, metric, profile }], timestamp: '2026-07-01T12:00:05+00:00' })
    expect(req.headers['Klaviyo-Timestamp']).toBe('2026-07-01T12:00:05+00:00')
    expect(req.headers['Klaviyo-Signature']).toBe(signKlaviyoWebhook(req.rawBody, '2026-07-01T12:00:05+00:00', 'k'))
    expect(req.body.data[0].payload).toEqual({ data: expect.objectContaining({ id: opened.id }) })
    const withRelated = buildKlaviyoWebhook({ secret: 'k', webhookId: 'W', events: [{ event: opened, metric, profile }], includeRelated: true })
    expect((withRelated.body.data[0].payload as { included: unknown[] }).included).toHaveLength(2)
    expect(() => buildKlaviyoWebhook({ secret: 'k', webhookId: 'W', events: [opened] })).toThrow(/store/)
  })

  it('maps metric names to topics', () => {
    expect(topicForMetric('Received Email')).toBe('event:klaviyo.received_email')
    expect(topicForMetric('Bounced Email')).toBe('event:klaviyo.bounced_email')
    expect(topicForMetric('Marked Email as Spam')).toBe('event:klaviyo.marked_email_as_spam')
    expect(topicForMetric('Unsubscribed')).toBe('event:klaviyo.unsubscribed_from_email_marketing')
    expect(topicForMetric('Unsubscribed from Email Marketing')).toBe('event:klaviyo.unsubscribed_from_email_marketing')
    expect(topicForMetric('Custom Thing!')).toBe('event:klaviyo.custom_thing')
    expect(topicForMetric('Received Email', { 'Received Email': 'event:klaviyo.email_delivered' })).toBe('event:klaviyo.email_delivered')
  })
})
