/**
 * The Cloudflare Worker entry on the real Workers runtime (workerd, through miniflare), against the
 * sandbox emulators. What runs is what deploy/cloudflare/wrangler.toml points at: its `main` is
 * bundled with esbuild (as wrangler does) with `mailstitch/relay/worker` resolved to the source
 * file rollup builds that export from, with the toml's compatibility date and vars.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildKlaviyoWebhook, type KlaviyoWebhookOptions } from '../../sandbox/webhook-sender'
import { buildShopifyWebhook } from '../../sandbox/shopify/order-webhook'
import { bundleWorker, readWranglerConfig, startWorkerd, type WranglerConfig } from '../../test/helpers/cloudflare-worker'
import { useSandboxServices } from '../../test/helpers/sandbox-services'

const ROOT = resolve(__dirname, '../..')
const PK = 'pk_worker'
const WK = 'wk_worker'
const SECRET = 'whsec_worker'
const SHOPIFY_SECRET = 'shpss_worker'

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
let script: string
let config: WranglerConfig
const workers: Miniflare[] = []

beforeAll(async () => {
  config = readWranglerConfig()
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { import: string }> }
  expect(pkg.exports['./relay/worker'].import).toBe('./dist/relay/worker.mjs')
  script = await bundleWorker(config)
}, 60_000)

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.dispose()))
})

/** The Worker on workerd with the toml's vars plus these bindings (secrets). */
async function worker(bindings: Record<string, string> = {}): Promise<Miniflare> {
  const mf = await startWorkerd(script, config, {
    KLAVIYO_WEBHOOK_SECRET: SECRET,
    SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
    KLAVIYO_PRIVATE_KEY: PK,
    SEGMENT_WRITE_KEY: WK,
    KLAVIYO_API_BASE: sandbox.klaviyo.url,
    SEGMENT_API_HOST: sandbox.segment.url,
    ...bindings,
  })
  workers.push(mf)
  return mf
}

function seed() {
  const store = sandbox.klaviyo.store
  const ada = store.createOrUpdateProfile({ email: 'ada@example.com', external_id: 'user-ada', properties: { segment_anonymous_id: 'anon-ada' } }).profile
  const opened = store.recordEvent({ metricName: 'Opened Email', profileId: ada.id, time: new Date(Date.now() - 60_000), properties: { $message: 'M1', Subject: 'Hi' } })
  const clicked = store.recordEvent({ metricName: 'Clicked Email', profileId: ada.id, time: new Date(Date.now() - 30_000), properties: { URL: 'https://shop.example/?mst=anon-ada' } })
  return [opened, clicked]
}

async function post(mf: Miniflare, o: Partial<KlaviyoWebhookOptions> = {}) {
  const req = buildKlaviyoWebhook({ secret: SECRET, webhookId: 'wh_w', events: seed(), store: sandbox.klaviyo.store, ...o })
  const res = await mf.dispatchFetch('https://relay.example.workers.dev/klaviyo', { method: 'POST', headers: req.headers, body: req.rawBody })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('mailstitch/relay/worker on workerd', () => {
  it('is configured by deploy/cloudflare/wrangler.toml without Node compatibility', () => {
    expect(config.main).toBe('index.mjs')
    expect(config.compatibility_flags ?? []).not.toContain('nodejs_compat')
    expect(script).not.toMatch(/from ["']node:|require\(["']node:/)
  })

  it("relays a signed batch in Klaviyo's published shape, stitched through a profile look-up", async () => {
    const mf = await worker()
    const res = await post(mf)
    expect(res).toEqual({ status: 200, body: { ok: true, received: 2, sent: 2, skipped: 0 } })
    expect(sandbox.segment.events().map((e) => [e.event, e.anonymousId, e.userId, (e.context?.traits as { email?: string } | undefined)?.email])).toEqual([
      ['Email Opened', 'anon-ada', 'user-ada', 'ada@example.com'],
      ['Email Link Clicked', 'anon-ada', 'user-ada', 'ada@example.com'],
    ])
    expect(sandbox.segment.events()[1].properties).toMatchObject({ link_url: 'https://shop.example/' })
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.path === '/api/profiles')).toHaveLength(1)
  })

  it('relays a signed batch with `included` without a look-up', async () => {
    const mf = await worker()
    const res = await post(mf, { includeRelated: true })
    expect(res.status).toBe(200)
    expect(sandbox.segment.events()).toHaveLength(2)
    expect(sandbox.segment.events()[0]).toMatchObject({ anonymousId: 'anon-ada' })
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.path.startsWith('/api/profiles'))).toHaveLength(0)
  })

  it('answers concurrent deliveries that share uncached profiles (nothing pending is shared between requests)', async () => {
    const mf = await worker()
    const store = sandbox.klaviyo.store
    const profiles = Array.from({ length: 30 }, (_, j) => store.createOrUpdateProfile({ email: `c${j}@example.com`, properties: { segment_anonymous_id: `anon-c${j}` } }).profile)
    const requests = Array.from({ length: 6 }, (_, k) => {
      const events = profiles.map((p, j) => store.recordEvent({ metricName: 'Opened Email', profileId: p.id, time: new Date(Date.now() - 60_000 + k * 100 + j) }))
      return buildKlaviyoWebhook({ secret: SECRET, webhookId: 'wh_w', events, store: sandbox.klaviyo.store })
    })
    const answers = await Promise.all(requests.map((r) => mf.dispatchFetch('https://relay.example.workers.dev/', { method: 'POST', headers: r.headers, body: r.rawBody })))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(sandbox.segment.events()).toHaveLength(180)
    expect(new Set(sandbox.segment.events().map((e) => e.anonymousId)).size).toBe(30)
  })

  it('relays a Shopify order webhook (dispatched by X-Shopify-Hmac-Sha256) as one Order Completed keyed to the visitor', async () => {
    const mf = await worker()
    const order = buildShopifyWebhook({ secret: SHOPIFY_SECRET, order: { orderId: '820982911946154508', bridgeId: 'anon-ada' } })
    const res = await mf.dispatchFetch('https://relay.example.workers.dev/shopify', { method: 'POST', headers: order.headers, body: order.body })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect(sandbox.segment.events()).toEqual([expect.objectContaining({ event: 'Order Completed', anonymousId: 'anon-ada', messageId: 'shopify-order-820982911946154508' })])
    const forged = buildShopifyWebhook({ secret: 'not-the-secret', order: { orderId: '1', bridgeId: 'anon-ada' } })
    const refused = await mf.dispatchFetch('https://relay.example.workers.dev/shopify', { method: 'POST', headers: forged.headers, body: forged.body })
    expect(refused.status).toBe(401)
    await refused.arrayBuffer()
    expect(sandbox.segment.events()).toHaveLength(1)
  })

  it("keys a Shopify order without the attribute to its email's Klaviyo profile, also in a Shopify-only Worker", async () => {
    seed()
    const mf = await worker({ KLAVIYO_WEBHOOK_SECRET: '' })
    const order = buildShopifyWebhook({ secret: SHOPIFY_SECRET, order: { orderId: '5801', customerId: null, email: 'ada@example.com' } })
    const res = await mf.dispatchFetch('https://relay.example.workers.dev/shopify', { method: 'POST', headers: order.headers, body: order.body })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect(sandbox.segment.events()).toEqual([expect.objectContaining({ event: 'Order Completed', anonymousId: 'anon-ada', messageId: 'shopify-order-5801' })])
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.query.filter === 'equals(email,"ada@example.com")')).toHaveLength(1)
  })

  it('refuses a forged batch with 401 and sends nothing', async () => {
    const mf = await worker()
    const ok = await post(mf)
    expect(ok.status).toBe(200) // the Worker is live and relaying…
    sandbox.segment.reset()
    const forged = await post(mf, { secret: 'not-the-secret' })
    expect(forged).toEqual({ status: 401, body: { ok: false, error: 'bad_signature' } })
    expect(sandbox.segment.requests()).toBe(0) // …and the forged one reached nobody
  })

  it('answers 503 when Segment does not accept, so Klaviyo retries', async () => {
    const mf = await worker()
    sandbox.segment.setFault({ status: 429, retryAfter: 120, count: 5 })
    const res = await post(mf)
    expect(res).toMatchObject({ status: 503, body: { ok: false, error: 'segment_unavailable' } })
    expect(sandbox.segment.events()).toHaveLength(0)
  })

  it('answers 500 naming the missing setting when KLAVIYO_PRIVATE_KEY is not bound', async () => {
    const mf = await worker({ KLAVIYO_PRIVATE_KEY: '' })
    const res = await post(mf)
    expect(res).toEqual({ status: 500, body: { ok: false, error: 'misconfigured', variable: 'KLAVIYO_PRIVATE_KEY' } })
  })
})
