/**
 * The Klaviyo webhook handler on Request/Response, with profile look-ups against the sandbox
 * Klaviyo emulator (its Get Profiles / Get Metric follow Klaviyo's API reference) and an
 * in-memory Segment delivery.
 */
import { describe, expect, it } from 'vitest'
import { klaviyoItem, memoryDelivery, signedKlaviyoRequest } from '../../test/helpers/klaviyo-webhook'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import type { DeliveryReport } from './segment-delivery'
import { handleKlaviyoWebhook, type KlaviyoWebhookOptions } from './klaviyo'
import { KlaviyoLookup } from './klaviyo-lookup'

const SECRET = 'whsec_unit'
const PK = 'pk_unit'
const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] } })

function seed() {
  const store = sandbox.klaviyo.store
  const ada = store.createOrUpdateProfile({ email: 'ada@example.com', external_id: 'user-ada', properties: { segment_anonymous_id: 'bridge-ada' } }).profile
  const bo = store.createOrUpdateProfile({ email: 'bo@example.com' }).profile
  const opened = store.recordEvent({ metricName: 'Opened Email', profileId: ada.id, time: '2026-04-14T03:40:00Z' })
  return { ada, bo, openedMetricId: opened.metric_id }
}

function setup(extra: Partial<KlaviyoWebhookOptions> = {}) {
  const segment = memoryDelivery()
  // Backoff waits are skipped (no wall-clock sleeps in tests); the attempt limit still applies.
  const lookup = new KlaviyoLookup({ privateKey: PK, apiBase: sandbox.klaviyo.url, sleep: async () => undefined })
  const options: KlaviyoWebhookOptions = { secrets: [SECRET], lookup, ...extra }
  const send = async (data: unknown[], o: Partial<Parameters<typeof signedKlaviyoRequest>[1]> = {}) => {
    const res = await handleKlaviyoWebhook(signedKlaviyoRequest(data, { secret: SECRET, ...o }), options, segment.deliver)
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
  }
  return { segment, lookup, send }
}

const metricCalls = () => sandbox.klaviyo.serverRequests().filter((r) => r.path.startsWith('/api/metrics/')).length
const profileCalls = () => sandbox.klaviyo.serverRequests().filter((r) => r.path.startsWith('/api/profiles')).length

describe('handleKlaviyoWebhook', () => {
  it("stitches Klaviyo's published shape (no included, datetime with a space): profile looked up, keyed to the bridge id", async () => {
    const { ada } = seed()
    const { segment, send } = setup()
    const res = await send([klaviyoItem({ id: 'EV1', topic: 'event:klaviyo.clicked_email', profileId: ada.id, properties: { URL: 'https://shop.example/p?mst=bridge-ada' } })])
    expect(res).toMatchObject({ status: 200, body: { ok: true, received: 1, sent: 1, skipped: 0 } })
    expect(segment.received).toEqual([
      expect.objectContaining({
        event: 'Email Link Clicked',
        anonymousId: 'bridge-ada',
        userId: 'user-ada',
        messageId: 'klaviyo-EV1',
        timestamp: '2026-04-14T03:50:00.000Z',
        properties: expect.objectContaining({ link_url: 'https://shop.example/p', klaviyo_profile_id: ada.id }),
        context: expect.objectContaining({ traits: { email: 'ada@example.com' } }),
      }),
    ])
    const call = sandbox.klaviyo.serverRequests().find((r) => r.path === '/api/profiles')!
    expect(call.query.filter).toBe(`any(id,["${ada.id}"])`)
    expect(call.status).toBe(200)
  })

  it('marks Apple Mail Privacy opens machine_open, and drops them when told to, as the poll does', async () => {
    const { ada } = seed()
    const open = (id: string) => klaviyoItem({ id, topic: 'event:klaviyo.opened_email', profileId: ada.id, properties: { 'Apple Privacy Open': true } })
    const kept = setup()
    expect((await kept.send([open('EVM1')])).body).toMatchObject({ sent: 1 })
    expect(kept.segment.received[0]!.properties).toMatchObject({ machine_open: true })
    const dropped = setup({ machineOpens: 'drop' })
    expect((await dropped.send([open('EVM2')])).body).toMatchObject({ ok: true, received: 1, sent: 0, skipped: 1 })
    expect(dropped.segment.received).toEqual([])
  })

  it('accepts every published topic spelling, including `event: email_delivered`', async () => {
    const { ada } = seed()
    const { segment, send } = setup()
    const topics = ['event: email_delivered', 'event:klaviyo.email_delivered', 'event:klaviyo.received_email', 'event:klaviyo.opened_email', 'event:klaviyo.bounced_email', 'event:klaviyo.marked_email_as_spam', 'event:klaviyo.unsubscribed_from_email_marketing']
    const res = await send(topics.map((topic, i) => klaviyoItem({ id: `EV${i}`, topic, profileId: ada.id, metricId: `UNKNOWN${i}` })))
    expect(res.body).toMatchObject({ received: 7, sent: 7 })
    expect(segment.received.map((m) => m.event)).toEqual(['Email Delivered', 'Email Delivered', 'Email Delivered', 'Email Opened', 'Email Bounced', 'Email Marked as Spam', 'Unsubscribed'])
  })

  it("takes the metric's name from the payload, else the topic; calls Get Metric only when neither names it", async () => {
    const { ada, openedMetricId } = seed()
    const { segment, send } = setup()
    await send([
      klaviyoItem({ id: 'A', topic: 'event:klaviyo.received_email', profileId: ada.id, included: { metricName: 'Clicked Email', profile: { email: 'x@example.com' } } }),
      // Not included, but the topic names the metric: no Get Metric call.
      klaviyoItem({ id: 'B', topic: 'event:klaviyo.opened_email', profileId: ada.id, metricId: openedMetricId }),
    ])
    expect(segment.received.map((m) => [m.messageId, m.event])).toEqual([['klaviyo-A', 'Email Link Clicked'], ['klaviyo-B', 'Email Opened']])
    // The included profile is used as is: no look-up for it.
    expect(segment.received[0]).toMatchObject({ anonymousId: `klaviyo:${ada.id}`, context: { traits: { email: 'x@example.com' } } })
    expect(metricCalls()).toBe(0)
    // A topic that names no relayed metric: the metric id resolves through Get Metric to "Opened Email".
    await send([klaviyoItem({ id: 'C', topic: 'event:klaviyo.some_new_topic', profileId: ada.id, metricId: openedMetricId })])
    expect(segment.received.map((m) => m.event)).toEqual(['Email Link Clicked', 'Email Opened', 'Email Opened'])
    expect(metricCalls()).toBe(1)
  })

  it('a 1,000-event delivery over 250 profiles costs 3 Get Profiles calls, and a second delivery none (cache)', async () => {
    const store = sandbox.klaviyo.store
    const profiles = Array.from({ length: 250 }, (_, j) => store.createOrUpdateProfile({ email: `p${j}@example.com`, properties: { segment_anonymous_id: `bridge-${j}` } }).profile)
    const { segment, send } = setup()
    const items = Array.from({ length: 1000 }, (_, i) => klaviyoItem({ id: `E${i}`, topic: 'event:klaviyo.opened_email', profileId: profiles[i % 250].id }))
    const res = await send(items)
    expect(res.body).toMatchObject({ received: 1000, sent: 1000 })
    expect(profileCalls()).toBe(3)
    expect(segment.received.every((m, i) => m.anonymousId === `bridge-${i % 250}`)).toBe(true)
    await send(items.map((it, i) => ({ ...it, external_id: `F${i}`, payload: { data: { ...(it.payload as { data: Record<string, unknown> }).data, id: `F${i}` } } })))
    expect(profileCalls()).toBe(3)
    expect(segment.received).toHaveLength(2000)
  })

  it('an event Segment refuses for good never makes the delivery 503: 200, the others delivered, the refused one named and logged', async () => {
    const { ada } = seed()
    const lines: string[] = []
    const options: KlaviyoWebhookOptions = { secrets: [SECRET], lookup: new KlaviyoLookup({ privateKey: PK, apiBase: sandbox.klaviyo.url }), log: (l) => lines.push(l) }
    const deliver = async (messages: ReadonlyArray<{ messageId: string }>): Promise<DeliveryReport> => ({
      accepted: messages.filter((m) => m.messageId !== 'klaviyo-BAD').map((m) => m.messageId),
      refused: [{ messageId: 'klaviyo-BAD', reason: 'Segment answered 400', status: 400 }],
      failed: [],
      truncated: [],
    })
    const items = ['OK1', 'BAD', 'OK2'].map((id) => klaviyoItem({ id, topic: 'event:klaviyo.opened_email', profileId: ada.id }))
    const res = await handleKlaviyoWebhook(signedKlaviyoRequest(items, { secret: SECRET }), options, deliver)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, received: 3, sent: 2, skipped: 0, refused: ['klaviyo-BAD'] })
    expect(lines.some((l) => /Segment refused klaviyo-BAD for good \(Segment answered 400\)/.test(l))).toBe(true)
  })

  it('a deleted profile is sent keyed to klaviyo:<profile id>, as the poll would', async () => {
    seed()
    const { segment, send } = setup()
    await send([klaviyoItem({ id: 'GONE', topic: 'event:klaviyo.opened_email', profileId: '01GONE' })])
    expect(segment.received[0]).toMatchObject({ anonymousId: 'klaviyo:01GONE', messageId: 'klaviyo-GONE' })
    expect(segment.received[0].context.traits).toBeUndefined()
  })

  it('answers 503 and sends nothing when Klaviyo cannot answer the look-up in time', async () => {
    const { ada } = seed()
    const { segment, send } = setup({ lookupBudgetMs: 1500 })
    sandbox.klaviyo.setFault({ status: 500, count: 50 })
    const res = await send([klaviyoItem({ id: 'EV1', topic: 'event:klaviyo.opened_email', profileId: ada.id })])
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    expect(res.body).toMatchObject({ ok: false, error: 'klaviyo_lookup_failed' })
    expect(segment.calls).toBe(0)
  })

  it('skips topics outside the table and duplicates inside one request', async () => {
    const { ada } = seed()
    const { segment, send } = setup()
    const res = await send([
      klaviyoItem({ id: 'A', topic: 'event:klaviyo.opened_email', profileId: ada.id, included: { metricName: 'Opened Email' } }),
      klaviyoItem({ id: 'A', topic: 'event:klaviyo.opened_email', profileId: ada.id, included: { metricName: 'Opened Email' } }),
      klaviyoItem({ id: 'B', topic: 'event:klaviyo.dropped_email', profileId: ada.id, included: { metricName: 'Dropped Email' } }),
      { nonsense: true },
    ])
    expect(res.body).toMatchObject({ received: 4, sent: 1, skipped: 3 })
    expect(segment.received.map((m) => m.messageId)).toEqual(['klaviyo-A'])
  })

  it('refuses forged requests with 401 before parsing, looking anything up or sending', async () => {
    const { ada } = seed()
    const { segment, send } = setup()
    const item = klaviyoItem({ id: 'EV1', topic: 'event:klaviyo.opened_email', profileId: ada.id })
    expect((await send([item], { secret: 'not-the-secret' })).body).toEqual({ ok: false, error: 'bad_signature' })
    expect((await send([item], { headers: { 'klaviyo-signature': '' } })).body).toEqual({ ok: false, error: 'missing_signature' })
    expect((await send([item], { timestamp: new Date(Date.now() - 13 * 3600_000).toUTCString() })).body).toEqual({ ok: false, error: 'stale_timestamp' })
    expect((await send([item], { metaId: 'wh_other' })).body).toEqual({ ok: false, error: 'webhook_id_mismatch' })
    expect(segment.calls).toBe(0)
    expect(profileCalls()).toBe(0)
  })

  it("keeps a Klaviyo retry of a delivery signed 2 hours ago (Klaviyo's retry schedule is unpublished)", async () => {
    const { ada } = seed()
    const { segment, send } = setup()
    const res = await send([klaviyoItem({ id: 'LATE', topic: 'event:klaviyo.opened_email', profileId: ada.id })], { timestamp: new Date(Date.now() - 2 * 3600_000).toUTCString() })
    expect(res.status).toBe(200)
    expect(segment.received[0].messageId).toBe('klaviyo-LATE')
  })

  it('400 for a correctly signed malformed body or one without data[]; 413 above the cap', async () => {
    const { segment, send } = setup({ maxBodyBytes: 1024 })
    expect(await send([], { body: '{"data":[{"external_id":' })).toMatchObject({ status: 400, body: { error: 'malformed_json' } })
    expect(await send([], { body: '{"meta":{"klaviyo_webhook_id":"wh_1"},"data":{}}' })).toMatchObject({ status: 400, body: { error: 'data_not_an_array' } })
    expect((await send([], { body: JSON.stringify({ data: [], pad: 'x'.repeat(2048) }) })).status).toBe(413)
    expect(segment.calls).toBe(0)
  })

  it('answers 503 with Retry-After when Segment does not accept, and 200 with nothing to send', async () => {
    const { ada } = seed()
    const { segment, send } = setup()
    segment.failing = true
    const res = await send([klaviyoItem({ id: 'EV1', topic: 'event:klaviyo.opened_email', profileId: ada.id })])
    expect(res).toMatchObject({ status: 503, body: { ok: false, error: 'segment_unavailable' } })
    expect(res.headers.get('retry-after')).toBe('30')
    segment.failing = false
    expect(await send([])).toMatchObject({ status: 200, body: { ok: true, received: 0, sent: 0 } })
  })
})
