/**
 * `relay serve` (the node:http adapter around the Web-API webhook core) end to end against the
 * sandbox Klaviyo emulator (profile look-ups) and the sandbox Segment collector.
 */
import { describe, expect, it } from 'vitest'
import { buildKlaviyoWebhook, sendKlaviyoWebhook, signKlaviyoWebhook } from '../../sandbox/webhook-sender'
import { buildShopifyWebhook } from '../../sandbox/shopify/order-webhook'
import { useRelays } from '../../test/helpers/relays'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'
import { main, type CliIO } from '../cli/main'
import type { RelayOptions } from './relay'

const PK = 'pk_test'
const WK = 'wk_test'
const SECRET = 'whsec_serve'

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] }, lifetime: 'test' })
const tmp = useTempDir('mst-serve-')
const relay = useRelays(() => ({ klaviyoPrivateKey: PK, segmentWriteKey: WK, webhookSecret: SECRET, klaviyoApiBase: sandbox.klaviyo.url, segmentApiHost: sandbox.segment.url, statePath: tmp.file('state.json') }))

async function serving(extra: Partial<RelayOptions> = {}) {
  const server = await relay(extra).serve({ port: 0, host: '127.0.0.1' })
  return `${server.url}/klaviyo/webhook`
}

const ago = (s: number) => new Date(Date.now() - s * 1000)

/** Profiles of every identity kind and one event of each email metric. */
function seedAccount() {
  const store = sandbox.klaviyo.store
  const ada = store.createOrUpdateProfile({ email: 'ada@example.com', external_id: 'user-ada', properties: { segment_anonymous_id: 'anon-ada' } }).profile
  const cy = store.createOrUpdateProfile({ email: 'cy@example.com', external_id: 'user-cy' }).profile
  const di = store.createOrUpdateProfile({ email: 'di@example.com' }).profile
  const rec = (metricName: string, profileId: string, s: number, properties: Record<string, unknown> = {}) =>
    store.recordEvent({ metricName, profileId, time: ago(s), properties: { $message: 'MSG1', Subject: 'Spring sale', 'Campaign Name': 'Spring', ...properties } })
  return [
    rec('Received Email', ada.id, 300),
    rec('Opened Email', ada.id, 290),
    rec('Clicked Email', ada.id, 280, { URL: 'https://shop.example/p/1?mst=anon-ada' }),
    rec('Bounced Email', cy.id, 260),
    rec('Marked Email as Spam', di.id, 250),
    rec('Unsubscribed from Email Marketing', di.id, 240),
  ]
}

/** What reached Segment, without the collector's own bookkeeping. */
const sent = () =>
  sandbox.segment
    .events()
    .map(({ type, event, anonymousId, userId, messageId, timestamp, properties, context, integrations }) => ({ type, event, anonymousId, userId, messageId, timestamp, properties, context, integrations }))
    .sort((a, b) => a.messageId.localeCompare(b.messageId))

describe('relay serve', () => {
  it("stitches a batch in Klaviyo's published shape exactly as a poll of the same events does", async () => {
    const events = seedAccount()
    await relay().pollOnce({ since: ago(3600) })
    const polled = sent()
    expect(polled).toHaveLength(6)
    expect(polled.find((m) => m.event === 'Email Link Clicked')).toMatchObject({ anonymousId: 'anon-ada', userId: 'user-ada', context: { traits: { email: 'ada@example.com' } } })

    sandbox.segment.reset()
    const url = await serving()
    const res = await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })
    expect(res.request.body.data[0].payload).not.toHaveProperty('included')
    expect(res.status).toBe(200)
    expect(JSON.parse(res.responseBody)).toMatchObject({ ok: true, received: 6, sent: 6, skipped: 0 })
    expect(sent()).toEqual(polled)
    // Three profiles, one Get Profiles call.
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.path === '/api/profiles' && r.query.filter?.startsWith('any(id,'))).toHaveLength(1)
  })

  it('stitches the same batch with `included` without any look-up', async () => {
    const events = seedAccount()
    const url = await serving()
    const res = await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store, includeRelated: true })
    expect(res.status).toBe(200)
    expect(sent().filter((m) => m.anonymousId === 'anon-ada')).toHaveLength(3)
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.path.startsWith('/api/profiles'))).toHaveLength(0)
  })

  it('a Klaviyo retry of the same delivery yields the same messageIds', async () => {
    const events = seedAccount()
    const url = await serving()
    await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })
    await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })
    expect(sandbox.segment.events()).toHaveLength(6)
    expect(sandbox.segment.duplicates()).toBe(6)
  })

  it('refuses forged requests with nothing sent: wrong secret, replay past the window, wrong webhook id, unsigned', async () => {
    const events = seedAccount()
    const url = await serving()
    const store = sandbox.klaviyo.store
    expect((await sendKlaviyoWebhook({ url, secret: 'not-the-secret', webhookId: 'wh_1', events, store })).status).toBe(401)
    const captured = buildKlaviyoWebhook({ secret: SECRET, webhookId: 'wh_1', events, store, timestamp: new Date(Date.now() - 13 * 3600_000).toUTCString() })
    const replay = await fetch(url, { method: 'POST', headers: captured.headers, body: captured.rawBody })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error: 'stale_timestamp' })
    const wrongId = await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store, headers: { 'Klaviyo-Webhook-Id': 'wh_other' } })
    expect(JSON.parse(wrongId.responseBody).error).toBe('webhook_id_mismatch')
    const unsigned = await fetch(url, { method: 'POST', body: captured.rawBody })
    expect(unsigned.status).toBe(401)
    expect(sandbox.segment.requests()).toBe(0)
    expect(sandbox.klaviyo.serverRequests()).toHaveLength(0)
  })

  it('413 for a 10 MB body, 400 for signed malformed JSON, /healthz 200, 405 for other methods', async () => {
    const url = await serving()
    const big = JSON.stringify({ data: [], meta: { klaviyo_webhook_id: 'wh_1' }, pad: 'x'.repeat(10 * 1024 * 1024) })
    const ts = new Date().toUTCString()
    const res = await fetch(url, { method: 'POST', headers: { 'Klaviyo-Webhook-Id': 'wh_1', 'Klaviyo-Timestamp': ts, 'Klaviyo-Signature': signKlaviyoWebhook(big, ts, SECRET) }, body: big })
    expect(res.status).toBe(413)
    const bad = '{"data":[{"external_id":'
    const res2 = await fetch(url, { method: 'POST', headers: { 'Klaviyo-Webhook-Id': 'wh_1', 'Klaviyo-Timestamp': ts, 'Klaviyo-Signature': signKlaviyoWebhook(bad, ts, SECRET) }, body: bad })
    expect(res2.status).toBe(400)
    const base = url.replace('/klaviyo/webhook', '')
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(405)
  })

  it('answers 503 when Segment stays down, so Klaviyo retries; the retry is accepted', async () => {
    const events = seedAccount()
    const url = await serving({ webhookSegmentBudgetMs: 500 })
    sandbox.segment.setFault({ status: 500, count: 1000 })
    const res = await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })
    expect(res.status).toBe(503)
    expect(res.responseBody).toMatch(/segment_unavailable/)
    sandbox.segment.clearFault()
    expect((await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })).status).toBe(200)
    expect(sandbox.segment.events()).toHaveLength(6)
  })

  it('routes by signature header: a Klaviyo batch and a Shopify order on one server', async () => {
    const events = seedAccount()
    const url = await serving({ shopifyWebhookSecret: 'shpss_serve' })
    expect((await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })).status).toBe(200)
    const order = buildShopifyWebhook({ secret: 'shpss_serve', order: { orderId: '820982911946154508', bridgeId: 'anon-ada' } })
    const res = await fetch(url, { method: 'POST', headers: order.headers, body: order.body })
    expect(res.status).toBe(200)
    expect(sandbox.segment.events().filter((e) => e.event === 'Order Completed')).toEqual([expect.objectContaining({ anonymousId: 'anon-ada', messageId: 'shopify-order-820982911946154508' })])
    expect(sandbox.segment.events()).toHaveLength(7)
  })

  it("joins a Shopify order without the attribute by its email's Klaviyo profile, sharing the look-up client with Klaviyo webhooks", async () => {
    const events = seedAccount()
    const url = await serving({ shopifyWebhookSecret: 'shpss_serve' })
    // The Klaviyo webhook looks ada's profile up by id; the order then finds her by email.
    expect((await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })).status).toBe(200)
    const guest = buildShopifyWebhook({ secret: 'shpss_serve', order: { orderId: '3001', customerId: null, email: 'ADA@example.com' } })
    expect((await fetch(url, { method: 'POST', headers: guest.headers, body: guest.body })).status).toBe(200)
    const other = buildShopifyWebhook({ secret: 'shpss_serve', order: { orderId: '3002', bridgeId: 'phone-browser-01', email: 'ada@example.com' } })
    expect((await fetch(url, { method: 'POST', headers: other.headers, body: other.body })).status).toBe(200)
    const orders = sandbox.segment.events().filter((e) => e.messageId.startsWith('shopify-'))
    expect(orders.map((e) => [e.event, e.anonymousId, e.messageId, e.properties])).toEqual([
      ['Order Completed', 'anon-ada', 'shopify-order-3001', expect.objectContaining({ order_id: '3001' })],
      ['Order Completed', 'phone-browser-01', 'shopify-order-3002', expect.objectContaining({ order_id: '3002' })],
      ['Visitor Linked', 'phone-browser-01', 'shopify-visitor-link-3002', { bridge_id: 'anon-ada', order_id: '3002' }],
    ])
    // One Get Profiles by email: the second order was answered from the cache.
    expect(sandbox.klaviyo.serverRequests().filter((r) => /^equals\(email,/.test(r.query.filter ?? ''))).toHaveLength(1)
  })

  it('answers a Shopify order 503 with Retry-After while Klaviyo fails, and sends nothing unkeyed', async () => {
    seedAccount()
    const url = await serving({ webhookSecret: undefined, shopifyWebhookSecret: 'shpss_serve' })
    sandbox.klaviyo.setFault({ status: 503, count: 1000 })
    const guest = buildShopifyWebhook({ secret: 'shpss_serve', order: { orderId: '3003', email: 'ada@example.com' } })
    const res = await fetch(url, { method: 'POST', headers: guest.headers, body: guest.body })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    expect(sandbox.segment.requests()).toBe(0)
    sandbox.klaviyo.clearFault()
    expect((await fetch(url, { method: 'POST', headers: guest.headers, body: guest.body })).status).toBe(200)
    expect(sandbox.segment.events()).toEqual([expect.objectContaining({ anonymousId: 'anon-ada', userId: expect.any(String), messageId: 'shopify-order-3003' })])
  })

  it('a Shopify-only relay needs no Klaviyo key, and refuses Klaviyo requests with nothing sent', async () => {
    const url = await serving({ webhookSecret: undefined, klaviyoPrivateKey: undefined, shopifyWebhookSecret: 'shpss_serve' })
    const events = seedAccount()
    const res = await sendKlaviyoWebhook({ url, secret: SECRET, webhookId: 'wh_1', events, store: sandbox.klaviyo.store })
    expect(res.status).toBe(404)
    expect(sandbox.segment.requests()).toBe(0)
  })

  it('start-up: the Klaviyo secret needs KLAVIYO_PRIVATE_KEY, and at least one webhook secret is needed', async () => {
    await expect(relay({ klaviyoPrivateKey: undefined }).serve({ port: 0, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'missing_key', exitCode: 2, message: expect.stringMatching(/^KLAVIYO_PRIVATE_KEY is not set/) })
    await expect(relay({ webhookSecret: undefined }).serve({ port: 0, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'missing_key', message: expect.stringMatching(/KLAVIYO_WEBHOOK_SECRET is not set \(nor SHOPIFY_WEBHOOK_SECRET\)/) })
  })
})

describe('mailstitch relay serve (CLI start-up)', () => {
  async function cli(env: Record<string, string>) {
    const err: string[] = []
    const io: CliIO = { out: () => undefined, err: (l) => err.push(l), env, onSignal: () => undefined, offSignal: () => undefined, exit: (c) => { throw new Error(`exit ${c}`) } }
    const code = await main(['relay', 'serve', '--port', '0', '--host', '127.0.0.1'], io)
    return { code, err: err.join('\n') }
  }

  it('exits 2 with a clear message when KLAVIYO_WEBHOOK_SECRET comes without KLAVIYO_PRIVATE_KEY', async () => {
    expect(await cli({ SEGMENT_WRITE_KEY: WK, KLAVIYO_WEBHOOK_SECRET: SECRET })).toEqual({ code: 2, err: expect.stringMatching(/KLAVIYO_PRIVATE_KEY is not set: Klaviyo webhooks carry only the profile id/) })
  })

  it('exits 2 when no webhook secret at all is set', async () => {
    expect(await cli({ SEGMENT_WRITE_KEY: WK, KLAVIYO_PRIVATE_KEY: PK })).toEqual({ code: 2, err: expect.stringMatching(/KLAVIYO_WEBHOOK_SECRET is not set \(nor SHOPIFY_WEBHOOK_SECRET\)/) })
  })
})
