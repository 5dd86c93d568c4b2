/**
 * `relay check` against the sandbox emulators: each failure it can detect, and the warnings for
 * what it cannot (Segment's silent 200s).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../../sandbox/klaviyo-emulator'
import { startSegmentCollector, type SegmentCollector } from '../../sandbox/segment-collector'
import { closedPort, startFakeServer } from '../../test/helpers/http'
import { PRIVATE_KEY as DEMO_PRIVATE_KEY } from '../../sandbox/demo/options'
import { checkRelay, formatCheckReport, type CheckInput, type CheckReport } from './check'
import type { RelayOptions } from './relay'

const PK = 'pk_check0123456789'
const WK = 'abcdefghijklmnopqrstuvwxyz012345' // 32 letters and digits, as Segment's are

let klaviyo: KlaviyoEmulator
let segment: SegmentCollector

beforeEach(async () => {
  klaviyo = await startKlaviyoEmulator({
    privateKeys: [PK, DEMO_PRIVATE_KEY, 'pk_noscope', 'pk_no_events', 'pk_no_metrics', 'pk_no_profiles'],
    // Keys holding all but one of the read scopes the relay needs.
    keyScopes: {
      pk_no_events: ['metrics:read', 'profiles:read'],
      pk_no_metrics: ['events:read', 'profiles:read'],
      pk_no_profiles: ['events:read', 'metrics:read'],
    },
  })
  segment = await startSegmentCollector({ writeKeys: [WK] })
  const p = klaviyo.store.createOrUpdateProfile({ email: 'ada@example.com' }).profile
  klaviyo.store.recordEvent({ metricName: 'Opened Email', profileId: p.id, time: new Date(Date.now() - 60_000), properties: { $message: 'M' } })
})
afterEach(async () => {
  await klaviyo.close()
  await segment.close()
})

function env(over: Partial<RelayOptions> = {}): RelayOptions {
  return { klaviyoPrivateKey: PK, segmentWriteKey: WK, klaviyoApiBase: klaviyo.url, segmentApiHost: segment.url, ...over }
}

async function run(over: Partial<RelayOptions> = {}, extra: Partial<CheckInput> = {}): Promise<CheckReport> {
  return checkRelay({ relay: env(over), timeoutMs: 3_000, ...extra })
}

const line = (r: CheckReport, name: string) => r.results.filter((x) => x.name === name)

/** A local URL nothing listens on. */
async function closedUrl(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}`
}

describe('relay check', () => {
  it('passes a usable set-up with exit 0, warning about what Segment cannot tell', async () => {
    const r = await run()
    expect(r.exitCode).toBe(0)
    expect(r.results.filter((x) => x.status === 'fail')).toEqual([])
    expect(line(r, 'klaviyo.key')[0]).toMatchObject({ status: 'ok' })
    for (const scope of ['metrics:read', 'events:read', 'profiles:read']) expect(line(r, `klaviyo.scope.${scope}`)[0]).toMatchObject({ status: 'ok' })
    expect(line(r, 'klaviyo.metrics')[0].message).toMatch(/Opened Email/)
    expect(line(r, 'segment.reachable')[0]).toMatchObject({ status: 'ok' })
    expect(line(r, 'segment.unverifiable')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/Debugger/) })
    expect(formatCheckReport(r).at(-1)).toMatch(/usable \(1 warning/)
    // The reachability probe carried no event.
    expect(segment.events()).toHaveLength(0)
  })

  it('with no key at all, names both missing keys without reaching out to either host', async () => {
    const stand = await startFakeServer(() => ({ status: 200, body: { success: true } }))
    try {
      // The stand-in is reachable: with a write key, check posts to it.
      const withKey = await run({ klaviyoPrivateKey: undefined, segmentApiHost: stand.url })
      expect(line(withKey, 'segment.reachable')[0]).toMatchObject({ status: 'ok' })
      expect(stand.requests).toHaveLength(1)
      stand.requests.length = 0
      const r = await run({ klaviyoPrivateKey: undefined, segmentWriteKey: undefined, klaviyoApiBase: stand.url, segmentApiHost: stand.url })
      expect(r.exitCode).toBe(2)
      expect(r.results.map((x) => [x.name, x.status])).toEqual([['klaviyo.key', 'fail'], ['segment.key', 'fail']])
      expect(line(r, 'segment.key')[0].message).toMatch(/SEGMENT_WRITE_KEY is not set/)
      expect(stand.requests).toEqual([])
    } finally {
      await stand.close()
    }
  })

  it("accepts the demo's key (pk_demo_relay) without a warning, and warns for a public key (site id)", async () => {
    const demo = await run({ klaviyoPrivateKey: DEMO_PRIVATE_KEY })
    expect(line(demo, 'klaviyo.key')).toEqual([expect.objectContaining({ status: 'ok' })])
    expect(demo.exitCode).toBe(0)
    const site = await run({ klaviyoPrivateKey: 'AbC123' })
    expect(line(site, 'klaviyo.key')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/not look like a private API key/) })
  })

  it('fails with exit 2 when the Klaviyo key is missing', async () => {
    const r = await run({ klaviyoPrivateKey: undefined })
    expect(r.exitCode).toBe(2)
    expect(line(r, 'klaviyo.key')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/KLAVIYO_PRIVATE_KEY is not set/) })
  })

  it('fails with exit 3 when Klaviyo refuses the key (401)', async () => {
    const r = await run({ klaviyoPrivateKey: 'pk_wrong' })
    expect(r.exitCode).toBe(3)
    expect(line(r, 'klaviyo.key')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/401/) })
  })

  it('fails with exit 3 naming each scope Klaviyo refuses (403)', async () => {
    const r = await run({ klaviyoPrivateKey: 'pk_noscope' })
    expect(r.exitCode).toBe(3)
    for (const scope of ['metrics:read', 'events:read', 'profiles:read']) {
      expect(line(r, `klaviyo.scope.${scope}`)[0]).toMatchObject({ status: 'fail', message: expect.stringContaining(scope) })
    }
  })

  it('fails with exit 3 naming the one scope a key lacks, and passes the others', async () => {
    for (const [key, missing] of [
      ['pk_no_events', 'events:read'],
      ['pk_no_metrics', 'metrics:read'],
      ['pk_no_profiles', 'profiles:read'],
    ] as const) {
      const r = await run({ klaviyoPrivateKey: key })
      expect(r.exitCode).toBe(3)
      const failed = r.results.filter((x) => x.status === 'fail').map((x) => x.name)
      expect(failed).toEqual([`klaviyo.scope.${missing}`])
    }
  })

  it('with KLAVIYO_WEBHOOK_SECRET: lists the email webhook topics, fails when there are none, warns when they cannot be listed', async () => {
    const ok = await run({ webhookSecret: 'whsec' })
    expect(line(ok, 'klaviyo.webhooks')[0]).toMatchObject({ status: 'ok', message: expect.stringContaining('event:klaviyo.opened_email') })
    expect((await run()).results.some((x) => x.name === 'klaviyo.webhooks')).toBe(false) // not checked without a secret
    await klaviyo.close()
    klaviyo = await startKlaviyoEmulator({ privateKeys: [PK, 'pk_nowebhooks'], keyScopes: { pk_nowebhooks: ['events:read', 'metrics:read', 'profiles:read'] }, webhookTopics: ['event:klaviyo.placed_order'] })
    const p = klaviyo.store.createOrUpdateProfile({ email: 'ada@example.com' }).profile
    klaviyo.store.recordEvent({ metricName: 'Opened Email', profileId: p.id, time: new Date(Date.now() - 60_000), properties: { $message: 'M' } })
    const none = await run({ webhookSecret: 'whsec' })
    expect(none.exitCode).toBe(2)
    expect(line(none, 'klaviyo.webhooks')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/none of the email webhook topics/) })
    const unlisted = await run({ webhookSecret: 'whsec', klaviyoPrivateKey: 'pk_nowebhooks' })
    expect(unlisted.exitCode).toBe(0)
    expect(line(unlisted, 'klaviyo.webhooks')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/webhooks:read/) })
  })

  it('fails with exit 2 when the account has no email metrics', async () => {
    await klaviyo.close()
    klaviyo = await startKlaviyoEmulator({ privateKeys: [PK] })
    const r = await run()
    expect(r.exitCode).toBe(2)
    expect(line(r, 'klaviyo.metrics')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/None of the Klaviyo email metrics/) })
  })

  it('fails with exit 4 when Klaviyo cannot be reached', async () => {
    const r = await run({ klaviyoApiBase: await closedUrl() })
    expect(r.exitCode).toBe(4)
    expect(line(r, 'klaviyo.reachable')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/Cannot reach Klaviyo/) })
  })

  it('fails with exit 2 when the Segment write key is missing or not shaped like one', async () => {
    const missing = await run({ segmentWriteKey: undefined })
    expect(missing.exitCode).toBe(2)
    expect(line(missing, 'segment.key')[0].message).toMatch(/SEGMENT_WRITE_KEY is not set/)
    for (const [bad, why] of [
      [`"${WK}"`, /spaces or quotes/],
      [`${WK}:`, /colon/],
      ['short', /16–64/],
    ] as const) {
      const r = await run({ segmentWriteKey: bad })
      expect(r.exitCode).toBe(2)
      expect(line(r, 'segment.key')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(why) })
    }
  })

  it('a mistyped write key passes every check it can (Segment answers 200) and is left to the debugger warning', async () => {
    const r = await run({ segmentWriteKey: 'abcdefghijklmnopqrstuvwxyz012346' })
    expect(r.exitCode).toBe(0)
    expect(line(r, 'segment.reachable')[0]).toMatchObject({ status: 'ok' })
    expect(line(r, 'segment.unverifiable')[0]).toMatchObject({ status: 'warn' })
  })

  it('fails with exit 4 when Segment cannot be reached', async () => {
    const r = await run({ segmentApiHost: await closedUrl() })
    expect(r.exitCode).toBe(4)
    expect(line(r, 'segment.reachable')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/Cannot reach Segment/) })
  })

  it('names the EU host when the region is eu, and SEGMENT_API_HOST wins over it', async () => {
    const eu = await run({ segmentApiHost: undefined, segmentRegion: 'eu' }, { timeoutMs: 1 })
    expect(line(eu, 'segment.unverifiable')[0].message).toMatch(/region eu \(https:\/\/events\.eu1\.segmentapis\.com\)/)
    const explicit = await run({ segmentRegion: 'eu' })
    expect(line(explicit, 'segment.unverifiable')[0].message).toContain(`SEGMENT_API_HOST=${segment.url}`)
  })

  it('checks the Shopify secret shape when one is set', async () => {
    const good = await run({}, { shopifyWebhookSecret: 'a'.repeat(64) })
    expect(line(good, 'shopify.secret')[0]).toMatchObject({ status: 'ok' })
    expect(good.exitCode).toBe(0)
    // Shopify publishes no secret format: relay serve takes any non-empty secret, so check only warns (issue 23).
    const token = await run({}, { shopifyWebhookSecret: 'shpat_0123456789abcdef0123456789abcdef' })
    expect(line(token, 'shopify.secret')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/access token/) })
    expect(token.exitCode).toBe(0)
    const short = await run({}, { shopifyWebhookSecret: 'x' })
    expect(line(short, 'shopify.secret')).toEqual([expect.objectContaining({ status: 'warn', message: expect.stringMatching(/neither an app client secret/) })])
    expect(short.exitCode).toBe(0)
    const odd = await run({}, { shopifyWebhookSecret: 'some-long-secret-of-another-shape' })
    expect(line(odd, 'shopify.secret')[0]).toMatchObject({ status: 'warn' })
    expect(odd.exitCode).toBe(0)
    const empty = await run({}, { shopifyWebhookSecret: ' , ' })
    expect(empty.exitCode).toBe(2)
  })
})
