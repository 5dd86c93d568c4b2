/**
 * The relay end to end against the sandbox Klaviyo emulator (driven by the real klaviyo-api client)
 * and the sandbox Segment collector (fed by the relay's own /v1/batch sender, see batch-sender.ts).
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KlaviyoEvent } from '../../sandbox/klaviyo-emulator'
import { buildKlaviyoWebhook, sendKlaviyoWebhook } from '../../sandbox/webhook-sender'
import { runChild, startChild } from '../../test/helpers/child-process'
import { useRelays } from '../../test/helpers/relays'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'
import { KlaviyoAuthError, KlaviyoApiError } from './errors'

const ROOT = resolve(__dirname, '../..')
const PK = 'pk_test'
const WK = 'wk_test'
const SECRET = 'whsec_integration'

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] }, lifetime: 'test' })
const tmp = useTempDir('mst-relay-it-')
const statePath = () => tmp.file('state.json')
const relay = useRelays(() => ({
  klaviyoPrivateKey: PK,
  segmentWriteKey: WK,
  webhookSecret: SECRET,
  klaviyoApiBase: sandbox.klaviyo.url,
  segmentApiHost: sandbox.segment.url,
  statePath: statePath(),
  klaviyoRetry: { httpAttempts: 5, maxIntervalSeconds: 2, networkAttempts: 2, networkBaseDelayMs: 20 },
}))

const ago = (s: number) => new Date(Date.now() - s * 1000)

/** A realistic small account: three kinds of profile, every email metric, plus noise metrics. */
function seedAccount() {
  const store = sandbox.klaviyo.store
  const bridged = store.createOrUpdateProfile({ email: 'ada@example.com', external_id: 'user-ada', properties: { segment_anonymous_id: 'anon-ada' } }).profile
  const sameIds = store.createOrUpdateProfile({ email: 'bo@example.com', external_id: 'anon-bo', properties: { segment_anonymous_id: 'anon-bo' } }).profile
  const externalOnly = store.createOrUpdateProfile({ email: 'cy@example.com', external_id: 'user-cy' }).profile
  const bare = store.createOrUpdateProfile({ email: 'di@example.com' }).profile
  const noEmail = store.createOrUpdateProfile({ phone_number: '+15555550123', properties: { segment_anonymous_id: 'anon-phone' } }).profile
  const rec = (metricName: string, profileId: string, s: number, properties: Record<string, unknown> = {}) =>
    store.recordEvent({ metricName, profileId, time: ago(s), properties: { $message: 'MSG1', Subject: 'Spring sale', 'Campaign Name': 'Spring', ...properties } })
  const relayed: Array<{ e: KlaviyoEvent; event: string; anonymousId?: string; userId?: string; email?: string }> = [
    { e: rec('Received Email', bridged.id, 300), event: 'Email Delivered', anonymousId: 'anon-ada', userId: 'user-ada', email: 'ada@example.com' },
    { e: rec('Opened Email', bridged.id, 290), event: 'Email Opened', anonymousId: 'anon-ada', userId: 'user-ada', email: 'ada@example.com' },
    { e: rec('Clicked Email', bridged.id, 280, { URL: 'https://shop.example/p/1?mst=anon-ada' }), event: 'Email Link Clicked', anonymousId: 'anon-ada', userId: 'user-ada', email: 'ada@example.com' },
    { e: rec('Opened Email', sameIds.id, 270), event: 'Email Opened', anonymousId: 'anon-bo', email: 'bo@example.com' },
    { e: rec('Bounced Email', externalOnly.id, 260), event: 'Email Bounced', userId: 'user-cy', email: 'cy@example.com' },
    { e: rec('Marked Email as Spam', bare.id, 250), event: 'Email Marked as Spam', anonymousId: `klaviyo:${bare.id}`, email: 'di@example.com' },
    { e: rec('Unsubscribed from Email Marketing', bare.id, 240), event: 'Unsubscribed', anonymousId: `klaviyo:${bare.id}`, email: 'di@example.com' },
    { e: rec('Received Email', noEmail.id, 220), event: 'Email Delivered', anonymousId: 'anon-phone' },
  ]
  // Not in the contract table: must never reach Segment.
  rec('Dropped Email', bridged.id, 210)
  // The account has both unsubscribe metrics, so only "Unsubscribed from Email Marketing" is relayed:
  // Klaviyo records one unsubscribe under both, and one unsubscribe must be one Segment event.
  rec('Unsubscribed', bridged.id, 230)
  rec('Placed Order', bridged.id, 200)
  rec('Viewed Product', bare.id, 190)
  return relayed
}

/** Many events over the last few minutes, round-robin over bridged profiles. */
function seedMany(n: number) {
  const store = sandbox.klaviyo.store
  const profiles = Array.from({ length: 20 }, (_, j) => store.createOrUpdateProfile({ email: `p${j}@example.com`, properties: { segment_anonymous_id: `anon-${j}` } }).profile)
  const metrics = ['Received Email', 'Opened Email', 'Clicked Email']
  const out: KlaviyoEvent[] = []
  for (let i = 0; i < n; i++) out.push(store.recordEvent({ metricName: metrics[i % 3], profileId: profiles[i % 20].id, time: ago(500 - (i * 400) / n), properties: { $message: `M${i % 7}` } }))
  return { events: out, bridgeOf: new Map(profiles.map((p, j) => [p.id, `anon-${j}`])) }
}

function expectExactlyOnce(ids: string[]) {
  const got = sandbox.segment.events().map((e) => e.messageId)
  expect(new Set(got)).toEqual(new Set(ids.map((id) => `klaviyo-${id}`)))
  expect(got).toHaveLength(ids.length)
}

describe('relay poll against the emulators', () => {
  it('moves every email event into Segment once, keyed to the bridge id, and ignores other metrics', async () => {
    const relayed = seedAccount()
    const summary = await relay().pollOnce()
    expect(summary).toMatchObject({ fetched: relayed.length, sent: relayed.length, skipped: 0, failed: 0 })
    expectExactlyOnce(relayed.map((r) => r.e.id))
    for (const r of relayed) {
      const got = sandbox.segment.events().find((e) => e.messageId === `klaviyo-${r.e.id}`)!
      expect(got.type).toBe('track')
      expect(got.event).toBe(r.event)
      expect(got.anonymousId ?? undefined).toBe(r.anonymousId)
      expect(got.userId ?? undefined).toBe(r.userId)
      expect((got.context?.traits as { email?: string } | undefined)?.email).toBe(r.email)
      expect(got.timestamp).toBe(new Date(r.e.datetime).toISOString())
      expect(got.properties).toMatchObject({ provider: 'Klaviyo', email_id: 'MSG1', email_subject: 'Spring sale', campaign_name: 'Spring' })
      expect(got.context?.library).toMatchObject({ name: 'mailstitch-relay' })
      expect(got.integrations).toMatchObject({ Klaviyo: false })
    }
    const click = sandbox.segment.events().find((e) => e.event === 'Email Link Clicked')!
    expect(click.properties?.link_url).toBe('https://shop.example/p/1') // bridge token stripped
    expect(sandbox.segment.rejected()).toEqual([])
  })

  it('a rerun over the same window sends nothing new', async () => {
    const relayed = seedAccount()
    await relay().pollOnce()
    const again = await relay().pollOnce() // a new process: only the state file carries over
    expect(again).toMatchObject({ sent: 0, skipped: relayed.length })
    expect(sandbox.segment.duplicates()).toBe(0)
    expectExactlyOnce(relayed.map((r) => r.e.id))
    const state = JSON.parse(await readFile(statePath(), 'utf8'))
    expect(Object.keys(state.metrics).length).toBeGreaterThanOrEqual(6)
  })

  it('rides out Klaviyo 429s (Retry-After) and Segment 5xx without losing or duplicating events', async () => {
    const { events } = seedMany(1200)
    sandbox.klaviyo.setFault({ status: 429, count: 3, retryAfter: 1 })
    sandbox.segment.setFault({ status: 503, count: 3 })
    const s = await relay({ pageSize: 100 }).pollOnce()
    expect(s.sent).toBe(1200)
    expectExactlyOnce(events.map((e) => e.id))
    expect(sandbox.segment.duplicates()).toBe(0)
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.status === 429)).toHaveLength(3)
    expect(sandbox.segment.requestLog().filter((r) => r.status === 503)).toHaveLength(3)
  }, 60_000)

  it('a Klaviyo page failing half-way: state is kept, the rerun sends the rest and nothing twice', async () => {
    const { events } = seedMany(300)
    let armed = true
    sandbox.segment.subscribe(() => {
      if (armed) {
        armed = false
        sandbox.klaviyo.setFault({ status: 500, count: 1000 })
      }
    })
    const first = relay({ pageSize: 50, klaviyoRetry: { httpAttempts: 2, maxIntervalSeconds: 1 } })
    await expect(first.pollOnce()).rejects.toBeInstanceOf(KlaviyoApiError)
    const partial = sandbox.segment.events().length
    expect(partial).toBeGreaterThan(0)
    expect(partial).toBeLessThan(300)
    sandbox.klaviyo.clearFault()
    const s = await relay({ pageSize: 50 }).pollOnce()
    expect(s.sent).toBe(300 - partial)
    expectExactlyOnce(events.map((e) => e.id))
    expect(sandbox.segment.duplicates()).toBe(0)
  }, 60_000)

  it('Segment failing past its retries fails the poll; the next poll delivers', async () => {
    const relayed = seedAccount()
    sandbox.segment.setFault({ status: 500, count: 1000 })
    await expect(relay({ segment: { maxRetries: 1 } }).pollOnce()).rejects.toThrow(/Segment did not accept/)
    sandbox.segment.clearFault()
    await relay().pollOnce()
    expectExactlyOnce(relayed.map((r) => r.e.id))
  }, 30_000)

  it('clear errors for a wrong Klaviyo key and a key without scopes', async () => {
    seedAccount()
    await expect(relay({ klaviyoPrivateKey: 'pk_wrong' }).pollOnce()).rejects.toBeInstanceOf(KlaviyoAuthError)
    await expect(relay({ klaviyoPrivateKey: 'pk_noscope' }).pollOnce()).rejects.toThrow(/403.*events:read, metrics:read and profiles:read/)
  }, 30_000)

  it('a mistyped Segment write key: Segment answers 200, the relay counts the events sent, the collector shows them dropped', async () => {
    const relayed = seedAccount()
    const summary = await relay({ segmentWriteKey: 'wk_tset' }).pollOnce()
    // This is why `relay check` warns and points at the source debugger: nothing here can tell.
    expect(summary).toMatchObject({ sent: relayed.length, failed: 0 })
    expect(sandbox.segment.events()).toHaveLength(0)
    expect(sandbox.segment.rejected().map((r) => r.reason)).toEqual(Array(relayed.length).fill('unknown_write_key'))
  }, 30_000)

  it('survives being killed between Segment accepting a page and saving state; the restart re-sends only with the same messageIds', async () => {
    const { events, bridgeOf } = seedMany(3000)
    const env = cliEnv()
    // SIGKILL from inside the collector, before it answers the first batch: the relay cannot have saved it.
    const killed = await killedAfterAccepting(1, ['relay', 'poll', '--once', '--state', statePath()], env)
    expect(killed).toBe('SIGKILL')
    const beforeRestart = sandbox.segment.events().length
    expect(beforeRestart).toBeGreaterThan(0)
    expect(beforeRestart).toBeLessThan(3000)

    // Restart (in a child too, like cron would) through injected 429s and 5xx.
    sandbox.klaviyo.setFault({ status: 429, count: 2, retryAfter: 1 })
    sandbox.segment.setFault({ status: 502, count: 2 })
    const out = await runCli(['relay', 'poll', '--once', '--state', statePath()], env)
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/fetched \d+, sent \d+, skipped \d+/)

    expectExactlyOnce(events.map((e) => e.id))
    // What was accepted but not recorded went out again with the same messageId (Segment dedupes it).
    expect(sandbox.segment.duplicates()).toBeGreaterThan(0)
    expect(sandbox.segment.duplicates()).toBeLessThanOrEqual(beforeRestart)
    for (const e of sandbox.segment.events()) {
      const ev = events.find((x) => `klaviyo-${x.id}` === e.messageId)!
      expect(e.anonymousId).toBe(bridgeOf.get(ev.profile_id))
    }
    // And a third run has nothing left to do.
    const third = await runCli(['relay', 'poll', '--once', '--state', statePath()], env)
    expect(third.stdout).toMatch(/fetched 3000, sent 0, skipped 3000/)
  }, 90_000)
})

describe('relay poll: killed and resumed, reruns and re-drives', () => {
  it('SIGKILLed mid-run and resumed, it re-sends at most one page per metric in flight', async () => {
    const { events } = seedMany(3000) // 1,000 events in each of 3 metrics, polled side by side
    const pageSize = 100
    const args = ['relay', 'poll', '--once', '--page-size', String(pageSize), '--state', statePath()]
    // Kill from inside the collector once a good part of the run went through: pages have been
    // answered, saved, and some are in flight.
    const killed = await killedAfterAccepting(1200, args, cliEnv())
    expect(killed).toBe('SIGKILL')
    const beforeRestart = sandbox.segment.events().length
    expect(beforeRestart).toBeGreaterThanOrEqual(1200)
    expect(beforeRestart).toBeLessThan(3000)
    // The killed run's lock is stale (its pid is gone): the resumed run takes it over.
    const out = await runCli(args, cliEnv())
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/took over the stale lock/)
    expectExactlyOnce(events.map((e) => e.id))
    expect(sandbox.segment.duplicates()).toBeLessThanOrEqual(3 * pageSize)
  }, 90_000)

  it('a cron rerun with the same --since sends nothing; --redrive re-sends the window and keeps the cursor', async () => {
    const relayed = seedAccount()
    const since = new Date(Date.now() - 3600_000).toISOString()
    const first = await runCli(['relay', 'poll', '--once', '--since', since, '--state', statePath()], cliEnv())
    expect(first.stdout).toMatch(new RegExp(`sent ${relayed.length}, skipped 0`))
    const rerun = await runCli(['relay', 'poll', '--once', '--since', since, '--state', statePath()], cliEnv())
    const state = await readFile(statePath(), 'utf8')
    expect(rerun.code).toBe(0)
    expect(rerun.stdout).toMatch(/sent 0, /)
    expectExactlyOnce(relayed.map((r) => r.e.id))

    const redrive = await runCli(['relay', 'poll', '--once', '--redrive', since, '--state', statePath()], cliEnv())
    expect(redrive.code).toBe(0)
    expect(redrive.stdout).toMatch(new RegExp(`re-driving ${relayed.length} event\\(s\\) from ${since.replace(/[.]/g, '\\.')}`))
    expect(redrive.stdout).toMatch(new RegExp(`sent ${relayed.length}, `))
    expect(sandbox.segment.duplicates()).toBe(relayed.length)
    expect(JSON.parse(await readFile(statePath(), 'utf8')).metrics).toEqual(JSON.parse(state).metrics)
    // Older than Segment's dedupe window: the operator is warned.
    const old = await runCli(['relay', 'poll', '--once', '--redrive', new Date(Date.now() - 3 * 86400_000).toISOString(), '--state', statePath()], cliEnv())
    expect(old.stderr).toMatch(/about 24 hours/)
  }, 60_000)

  it('a second poller on the same state file exits at once with code 5 and sends nothing', async () => {
    seedAccount()
    const { StateLock } = await import('./state-lock')
    const holder = new StateLock(statePath())
    await holder.acquire()
    try {
      const out = await runCli(['relay', 'poll', '--once', '--state', statePath()], cliEnv())
      expect(out.code).toBe(5)
      expect(out.stderr).toMatch(/is in use by another relay poll \(pid \d+/)
      expect(sandbox.segment.events()).toHaveLength(0)
      expect(sandbox.klaviyo.requestLog().length).toBe(0)
    } finally {
      await holder.release()
    }
  }, 30_000)
})

// `relay serve` has its own file: serve.test.ts.

describe('mailstitch relay CLI', () => {
  const env = () => ({ ...cliEnv(), KLAVIYO_WEBHOOK_SECRET: SECRET })

  it('poll --once prints a one-line summary and exits 0', async () => {
    const relayed = seedAccount()
    const out = await runCli(['relay', 'poll', '--once', '--state', statePath()], env())
    expect(out).toMatchObject({ code: 0, stdout: `fetched ${relayed.length}, sent ${relayed.length}, skipped 0\n` })
  }, 30_000)

  it('exits 3 with a clear message for a wrong key', async () => {
    const out = await runCli(['relay', 'poll', '--once', '--state', statePath()], { ...env(), KLAVIYO_PRIVATE_KEY: 'pk_nope' })
    expect(out.code).toBe(3)
    expect(out.stderr).toMatch(/Klaviyo rejected KLAVIYO_PRIVATE_KEY \(401\)/)
  }, 30_000)

  it('relay check prints one line per check and exits with the relay’s code for a refused key', async () => {
    seedAccount()
    const out = await runCli(['relay', 'check'], { ...env(), KLAVIYO_PRIVATE_KEY: 'pk_wrong' })
    expect(out.code).toBe(3)
    expect(out.stdout).toMatch(/^FAIL klaviyo\.key: Klaviyo refused KLAVIYO_PRIVATE_KEY \(401\)/m)
    expect(out.stdout).toMatch(/^warn segment\.unverifiable: .*Debugger/m)
    expect(out.stdout).toMatch(/relay check: not usable; fix the FAIL lines \(exit code 3\)\.$/m)
  }, 30_000)

  it('exits 2 when a key is missing', async () => {
    const out = await runCli(['relay', 'poll', '--once'], { ...env(), SEGMENT_WRITE_KEY: '' })
    expect(out.code).toBe(2)
    expect(out.stderr).toMatch(/SEGMENT_WRITE_KEY is not set/)
  }, 30_000)

  it('poll --follow: SIGTERM finishes, saves state and exits 0', async () => {
    const relayed = seedAccount()
    const run = startCli(['relay', 'poll', '--follow', '--interval', '1', '--state', statePath()], env())
    await until(() => /sent/.test(run.stdout()), 20_000)
    run.child.kill('SIGTERM')
    const { code } = await run.ended
    expect(code).toBe(0)
    expect(run.stdout()).toMatch(new RegExp(`fetched ${relayed.length}, sent ${relayed.length}, skipped 0`))
    expectExactlyOnce(relayed.map((r) => r.e.id))
    expect(JSON.parse(await readFile(statePath(), 'utf8')).version).toBe(1)
  }, 30_000)

  it('poll --once: SIGTERM while Segment keeps failing stops without sitting out the backoff, exits 0, and loses nothing', async () => {
    const relayed = seedAccount()
    // Every answer is a 429 asking for a 300 s wait (the sender's cap): once the first one is in, the
    // relay is waiting 300 s before its next try, far longer than this test's 40 s timeout. So the
    // exit below arrives within the timeout only if SIGTERM cut that wait short, however slow the machine.
    sandbox.segment.setFault({ status: 429, count: 100_000, retryAfter: 300 })
    const run = startCli(['relay', 'poll', '--once', '--state', statePath()], env())
    await until(() => sandbox.segment.requestLog().some((r) => r.status === 429), 20_000)
    run.child.kill('SIGTERM')
    const { code } = await run.ended
    expect(code).toBe(0)
    expect(run.stderr()).toMatch(/SIGTERM received/)
    sandbox.segment.clearFault()
    expect((await runCli(['relay', 'poll', '--once', '--state', statePath()], env())).code).toBe(0)
    expectExactlyOnce(relayed.map((r) => r.e.id))
  }, 40_000)

  it('serve relays webhooks and exits 0 on SIGTERM', async () => {
    // Port 0: the OS picks a free port and the relay prints the address it is listening on.
    const run = startCli(['relay', 'serve', '--port', '0', '--host', '127.0.0.1'], env())
    await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(run.stdout()), 20_000)
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.stdout())![1])
    expect(port).toBeGreaterThan(0)
    const p = sandbox.klaviyo.store.createOrUpdateProfile({ email: 'z@example.com', properties: { segment_anonymous_id: 'anon-z' } }).profile
    const e = sandbox.klaviyo.store.recordEvent({ metricName: 'Clicked Email', profileId: p.id, time: ago(1), properties: { URL: 'https://shop.example/' } })
    const res = await sendKlaviyoWebhook({ url: `http://127.0.0.1:${port}/`, secret: SECRET, webhookId: 'wh_9', events: [e], store: sandbox.klaviyo.store })
    expect(res.status).toBe(200)
    expect(sandbox.segment.events()[0]).toMatchObject({ event: 'Email Link Clicked', anonymousId: 'anon-z' })
    run.child.kill('SIGTERM')
    expect((await run.ended).code).toBe(0)
  }, 30_000)
})

/** The environment the CLI children run with: keys and the sandbox's addresses. */
function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: sandbox.segment.url }
}

/** `mailstitch <args>` from source, in a child process (as cron or systemd would run it). */
function startCli(args: string[], env: NodeJS.ProcessEnv) {
  return startChild('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env })
}

/** `mailstitch <args>` run to its end. */
function runCli(args: string[], env: NodeJS.ProcessEnv) {
  return runChild('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env })
}

/** Run the CLI and SIGKILL it from inside the collector once `accepted` events reached Segment; resolves to the signal it died of. */
async function killedAfterAccepting(accepted: number, args: string[], env: NodeJS.ProcessEnv): Promise<NodeJS.Signals | null> {
  const run = startCli(args, env)
  let seen = 0
  const off = sandbox.segment.subscribe(() => {
    if (++seen === accepted) {
      off()
      run.child.kill('SIGKILL')
    }
  })
  return (await run.ended).signal
}

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now()
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}
