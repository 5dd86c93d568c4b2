/**
 * Fault injection, end to end: `mailstitch relay poll` and `relay serve` run as real processes (as
 * cron or systemd would run them) against the sandbox emulators answering as hostile real-world
 * services do: Klaviyo 200s that are not JSON:API documents (a proxy's HTML maintenance page,
 * `{"data":"nope"}`), a real-looking Received Email event over Segment's 32 KB (CJK subject and
 * campaign name: 3 bytes a character) and a click on a long tracked URL, Segment 400s and 503s.
 * What must hold: every email event arrives once, stitched to its bridge id, and none blocks another.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KlaviyoEvent } from '../../sandbox/klaviyo-emulator'
import type { SegmentEvent } from '../../sandbox/segment-collector'
import { sendKlaviyoWebhook } from '../../sandbox/webhook-sender'
import { runChild, startChild } from '../../test/helpers/child-process'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'

const ROOT = resolve(__dirname, '../..')
const PK = 'pk_test'
const WK = 'wk_test'
const SECRET = 'whsec_faults'

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] }, lifetime: 'test' })
const tmp = useTempDir('mst-faults-')

const ago = (s: number) => new Date(Date.now() - s * 1000)
// What a Japanese store's campaign looks like, past the 8,192 characters Klaviyo-side fields are cut to.
const SUBJECT = '【期間限定】春の大感謝祭・全品送料無料キャンペーン開催中！お見逃しなく'.repeat(300)
const CAMPAIGN = '2026年春・リピーター様向け先行セール（メール第3弾・A/Bテスト用）'.repeat(300)
const LONG_URL = `https://shop.example/collections/spring?${Array.from({ length: 400 }, (_, i) => `utm_k${i}=${encodeURIComponent('値')}`).join('&')}&mst=anon-0`

/** Bridged profiles and their email events: a few ordinary ones, one Received Email over 32 KB, one click on a long URL. */
function seed(n = 12): { events: KlaviyoEvent[]; bridge: Map<string, string>; big: KlaviyoEvent; click: KlaviyoEvent } {
  const store = sandbox.klaviyo.store
  const profiles = Array.from({ length: 4 }, (_, j) => store.createOrUpdateProfile({ email: `p${j}@example.jp`, properties: { segment_anonymous_id: `anon-${j}` } }).profile)
  const bridge = new Map(profiles.map((p, j) => [p.id, `anon-${j}`]))
  const metrics = ['Received Email', 'Opened Email', 'Clicked Email']
  const events: KlaviyoEvent[] = []
  for (let i = 0; i < n; i++) {
    events.push(store.recordEvent({ metricName: metrics[i % 3], profileId: profiles[i % 4].id, time: ago(400 - i * 20), properties: { $message: `M${i % 3}`, Subject: '春のセール', 'Campaign Name': 'Spring' } }))
  }
  const big = store.recordEvent({ metricName: 'Received Email', profileId: profiles[0].id, time: ago(300), properties: { $message: 'MBIG', Subject: SUBJECT, 'Campaign Name': CAMPAIGN, $ESP: 'klaviyo' } })
  const click = store.recordEvent({ metricName: 'Clicked Email', profileId: profiles[1].id, time: ago(290), properties: { $message: 'MBIG', Subject: SUBJECT, 'Campaign Name': CAMPAIGN, URL: LONG_URL } })
  events.push(big, click)
  return { events, bridge, big, click }
}

/** Every event arrived exactly once, keyed to its profile's bridge id, and every arrived event fits Segment's 32 KB. */
function expectDeliveredOnce(events: KlaviyoEvent[], bridge: Map<string, string>) {
  const got = sandbox.segment.events()
  expect(new Set(got.map((e) => e.messageId))).toEqual(new Set(events.map((e) => `klaviyo-${e.id}`)))
  expect(got).toHaveLength(events.length)
  expect(sandbox.segment.duplicates()).toBe(0)
  expect(sandbox.segment.rejected()).toEqual([])
  for (const e of events) {
    const sent = got.find((g) => g.messageId === `klaviyo-${e.id}`)!
    expect(sent.anonymousId).toBe(bridge.get(e.profile_id)) // stitched, never klaviyo:<id>
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThanOrEqual(32 * 1024)
  }
}

/** The oversized events arrived cut on a character boundary, marked truncated; an ordinary one untouched. */
function expectTruncated(sent: SegmentEvent | undefined) {
  const props = sent?.properties as Record<string, unknown>
  expect(props.truncated).toBe(true)
  expect(SUBJECT.startsWith(props.email_subject as string)).toBe(true)
  expect((props.email_subject as string).length).toBeGreaterThan(1000)
}

describe('relay poll under fault injection (real processes)', () => {
  it('a garbage 200 from Klaviyo is an error that keeps the cursor; oversized events are cut, not refused; Segment 503s and a 400 are ridden out', async () => {
    const { events, bridge, big, click } = seed()
    const state = tmp.file('state.json')
    const env = cliEnv()

    // 1. Get Events answers an HTML maintenance page with 200: the run fails, saying so, and sends nothing of that metric.
    sandbox.klaviyo.setMalformed({ answer: 'html', path: '/api/events', count: 1 })
    const html = await runCli(['relay', 'poll', '--once', '--state', state, '--since', ago(900).toISOString()], env)
    expect(html.code).toBe(1)
    expect(html.stderr).toMatch(/Get Events answered with not a JSON:API document \(text "<!DOCTYPE html>/)
    expect(html.stderr).toMatch(/the cursor stays where it was/)

    // 2. `{"data":"nope"}` likewise.
    sandbox.klaviyo.setMalformed({ answer: 'data_not_a_list', path: '/api/events', count: 1 })
    const nope = await runCli(['relay', 'poll', '--once', '--state', state], env)
    expect(nope.code).toBe(1)
    expect(nope.stderr).toMatch(/`data` is not a list \(text "nope"\)/)

    // 3. Segment refuses one whole batch (400): it is split, never retried as is, and every event goes through.
    sandbox.segment.setFault({ status: 400, count: 1 })
    const split = await runCli(['relay', 'poll', '--once', '--state', state], env)
    expect(split.stderr).toBe('')
    expect(split.code).toBe(0)
    expect(split.stdout).toMatch(/truncated [12]\b/) // whichever of the two the first run had not sent

    // 4. Segment answers 503 (with Retry-After) three times: ridden out.
    sandbox.segment.setFault({ status: 503, count: 3, retryAfter: 1 })
    const later = sandbox.klaviyo.store.recordEvent({ metricName: 'Opened Email', profileId: [...bridge.keys()][2], time: ago(5), properties: { $message: 'M9' } })
    const rough = await runCli(['relay', 'poll', '--once', '--state', state], env)
    expect(rough.code).toBe(0)
    expect(rough.stdout).toMatch(/sent 1\b/)
    expect(sandbox.segment.requestLog().filter((r) => r.status === 503)).toHaveLength(3)

    expectDeliveredOnce([...events, later], bridge)
    expectTruncated(sandbox.segment.events().find((e) => e.messageId === `klaviyo-${big.id}`))
    const sentClick = sandbox.segment.events().find((e) => e.messageId === `klaviyo-${click.id}`)!
    expectTruncated(sentClick)
    expect(sentClick.properties?.link_url).not.toMatch(/mst=/)
    expect(sandbox.segment.events().find((e) => e.messageId === `klaviyo-${events[0].id}`)?.properties).not.toHaveProperty('truncated')

    // 5. A rerun sends nothing again.
    const again = await runCli(['relay', 'poll', '--once', '--state', state], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/sent 0\b/)
    expect(sandbox.segment.duplicates()).toBe(0)
  }, 180_000)

  it('an event Segment refuses for good is named (exit 6) and skipped; it never blocks the events after it', async () => {
    const store = sandbox.klaviyo.store
    const p = store.createOrUpdateProfile({ email: 'r@example.jp', properties: { segment_anonymous_id: 'anon-r' } }).profile
    const evs = Array.from({ length: 4 }, (_, i) => store.recordEvent({ metricName: 'Opened Email', profileId: p.id, time: ago(100 - i), properties: { $message: 'M' } }))
    const state = tmp.file('state.json')
    // One batch of 4; 400 three times: [1234] → [12] → [1] refused; [2] and [34] delivered.
    sandbox.segment.setFault({ status: 400, count: 3 })
    const run = await runCli(['relay', 'poll', '--once', '--state', state, '--since', ago(600).toISOString()], cliEnv())
    expect(run.code).toBe(6)
    expect(run.stdout).toMatch(/refused 1/)
    expect(run.stderr).toContain(`Segment refused 1 event(s) for good: klaviyo-${evs[0].id} (Segment answered 400`)
    expect(sandbox.segment.events().map((e) => e.messageId).sort()).toEqual(evs.slice(1).map((e) => `klaviyo-${e.id}`).sort())
    // The cursor moved past it: later events flow, and the refused one is not tried again.
    const next = store.recordEvent({ metricName: 'Opened Email', profileId: p.id, time: ago(2), properties: { $message: 'M' } })
    const rerun = await runCli(['relay', 'poll', '--once', '--state', state], cliEnv())
    expect(rerun.code).toBe(0)
    expect(sandbox.segment.events().map((e) => e.messageId)).toContain(`klaviyo-${next.id}`)
    expect(sandbox.segment.events()).toHaveLength(4)
    const saved = JSON.parse(await readFile(state, 'utf8')) as { metrics: Record<string, { cursor?: string }> }
    expect(Object.keys(saved.metrics).length).toBeGreaterThan(0)
  }, 120_000)
})

describe('relay serve under fault injection (a real process)', () => {
  it('answers 503 while a look-up or Segment fails, never sends unstitched, and delivers a webhook holding an oversized event', async () => {
    const { events, bridge, big } = seed(4)
    const run = startChild('node', ['--import', 'tsx', 'src/cli/main.ts', 'relay', 'serve', '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, env: { ...cliEnv(), KLAVIYO_WEBHOOK_SECRET: SECRET } })
    try {
      await until(() => /listening on (http:\/\/\S+) /.test(run.stdout()), 60_000)
      const url = /listening on (http:\/\/\S+) /.exec(run.stdout())![1]
      const deliver = (webhookId: string) => sendKlaviyoWebhook({ url: `${url}/`, secret: SECRET, webhookId, events, store: sandbox.klaviyo.store })

      // Get Profiles answers `{"data":"nope"}` (200) for longer than the look-up budget allows: 503, nothing sent.
      sandbox.klaviyo.setMalformed({ answer: 'data_not_a_list', path: '/api/profiles', count: 50 })
      const garbage = await deliver('wh_1')
      expect(garbage.status).toBe(503)
      expect(JSON.parse(garbage.responseBody)).toMatchObject({ ok: false, error: 'klaviyo_lookup_failed' })
      expect(sandbox.segment.events()).toEqual([])
      sandbox.klaviyo.clearFault()

      // Segment down (503, past the webhook's budget): 503 so Klaviyo delivers again.
      sandbox.segment.setFault({ status: 503, count: 1_000, retryAfter: 30 })
      const down = await deliver('wh_1')
      expect(down.status).toBe(503)
      expect(JSON.parse(down.responseBody)).toMatchObject({ error: 'segment_unavailable' })
      sandbox.segment.clearFault()

      // Segment refuses the whole batch once (400): split, and every event (the oversized one cut) goes through.
      sandbox.segment.setFault({ status: 400, count: 1 })
      const ok = await deliver('wh_1')
      expect(ok.status).toBe(200)
      expect(JSON.parse(ok.responseBody)).toMatchObject({ ok: true, received: events.length, sent: events.length, skipped: 0 })
      expectDeliveredOnce(events, bridge)
      expectTruncated(sandbox.segment.events().find((e) => e.messageId === `klaviyo-${big.id}`))
      // The topic names every metric: no Get Metric call at all.
      expect(sandbox.klaviyo.serverRequests().filter((r) => r.path.startsWith('/api/metrics'))).toEqual([])
      expect(run.stdout()).toMatch(/cut to fit Segment's 32 KB/)
    } finally {
      run.child.kill('SIGTERM')
      await run.ended
    }
  }, 180_000)
})

/** The environment the CLI children run with: keys and the sandbox's addresses. */
function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: sandbox.segment.url }
}

/** `mailstitch <args>` from source, run to its end. */
function runCli(args: string[], env: NodeJS.ProcessEnv) {
  return runChild('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env })
}

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now()
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}
