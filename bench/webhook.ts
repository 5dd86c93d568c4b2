/**
 * Row 8: webhook throughput, events/s, through `relay serve` and through the Cloudflare Worker
 * entry, side by side, on the same workload:
 * - deliveries of 1,000 events each (the most Klaviyo batches into one request), in Klaviyo's
 *   published shape (no `included`), signed as Klaviyo signs them; 4 deliveries in flight;
 * - the events spread over a pool of profiles that the relay must look up (Get Profiles with
 *   `filter=any(id,[…])`, 100 ids a call) against the sandbox Klaviyo emulator, under the relay's
 *   own budget of Klaviyo's Get Profiles limits (75/s, 700/min);
 * - Segment is a counting `/v1/batch` sink (the sandbox collector keeps every event in memory and
 *   would measure itself).
 * `relay serve` runs as the CLI in a child process (dist/cli.mjs); the Worker runs on workerd via
 * miniflare, built from deploy/cloudflare/wrangler.toml by the helper src/webhook/worker.integration.test.ts
 * uses too (test/helpers/cloudflare-worker.ts). Both are separate processes from this one, which
 * holds the emulator, the sink and the sender.
 *
 * Run just these rows: BENCH_ONLY=webhook npm run bench   (or: node --import tsx bench/webhook.ts 20000)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runStandalone } from './lib/standalone'
import { num, ratio, type Row, type Section } from './lib/stats'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SECRET = 'whsec_bench'
const PK = 'pk_bench'
const WK = 'wk_bench'
const BATCH = 1000
const IN_FLIGHT = 4
/** One account's poll ceiling at the low end (3,500 Get Events calls a minute × 200 events). */
const ACCOUNT_FLOOR = (3500 / 60) * 200

/** One measured runtime. */
export interface WebhookBenchResult {
  runtime: 'relay serve' | 'Worker (workerd)'
  events: number
  eventsPerSec: number
  /** Median time to answer one 1,000-event delivery, ms. */
  p50Ms: number
  /** Get Profiles calls the runtime made. */
  profileCalls: number
  failures: number
}

/** A `/v1/batch` sink that only counts accepted events. */
async function countingSink(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let events = 0
  const server = http.createServer((req, res) => {
    let size = 0
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      size += c.length
      body += c
    })
    req.on('end', () => {
      // Count messageIds without parsing the whole batch.
      events += body.split('"messageId"').length - 1
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"success":true}')
      void size
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => events,
    close: () => new Promise<void>((r) => {
      server.close(() => r())
      server.closeAllConnections()
    }),
  }
}

/** Signed published-shape deliveries over `profileIds` (round-robin), built before timing starts. */
function deliveries(total: number, profileIds: string[], metricIds: Record<string, string>): Array<{ body: string; headers: Record<string, string> }> {
  const topics = Object.keys(metricIds)
  const out: Array<{ body: string; headers: Record<string, string> }> = []
  const now = new Date()
  const datetime = now.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '+00:00')
  for (let start = 0; start < total; start += BATCH) {
    const data = []
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const topic = topics[i % topics.length]
      const id = `BENCH${i.toString(36).padStart(8, '0')}`
      data.push({
        topic: `event:klaviyo.${topic}`,
        external_id: id,
        payload: {
          data: {
            type: 'event',
            id,
            attributes: { timestamp: Math.floor(now.getTime() / 1000), datetime, uuid: id, event_properties: { $message: 'M1', Subject: 'Spring sale', 'Campaign Name': 'Spring', $ESP: 0 } },
            relationships: { profile: { data: { type: 'profile', id: profileIds[i % profileIds.length] } }, metric: { data: { type: 'metric', id: metricIds[topic] } } },
          },
        },
      })
    }
    const body = JSON.stringify({ data, meta: { klaviyo_account_id: 'AbC123', klaviyo_webhook_id: 'wh_bench', timestamp: now.toISOString(), version: '2024-06-28' } })
    const ts = new Date().toUTCString()
    out.push({ body, headers: { 'content-type': 'application/json', 'klaviyo-webhook-id': 'wh_bench', 'klaviyo-timestamp': ts, 'klaviyo-signature': createHmac('sha256', SECRET).update(body + ts).digest('hex') } })
  }
  return out
}

/** POST every delivery, IN_FLIGHT at a time; returns wall seconds, per-delivery latencies and failures. */
async function drive(url: string, batches: Array<{ body: string; headers: Record<string, string> }>) {
  const latencies: number[] = []
  let failures = 0
  let next = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next < batches.length) {
      const b = batches[next++]
      const s = performance.now()
      const res = await fetch(url, { method: 'POST', headers: b.headers, body: b.body })
      await res.arrayBuffer()
      latencies.push(performance.now() - s)
      if (res.status !== 200) failures++
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  latencies.sort((a, b) => a - b)
  return { seconds: (performance.now() - t0) / 1000, p50: latencies[Math.floor(latencies.length / 2)] ?? NaN, failures }
}

async function startServe(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.mjs'), 'relay', 'serve', '--port', '0', '--host', '127.0.0.1'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await new Promise<string>((res, rej) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m) res(m[1])
    })
    child.on('exit', (code) => rej(new Error(`relay serve exited ${code}: ${out}`)))
  })
  child.stdout!.resume()
  child.stderr!.resume()
  return { url, child }
}

async function startWorker(env: Record<string, string>): Promise<{ url: string; dispose: () => Promise<void> }> {
  const { bundleWorker, readWranglerConfig, startWorkerd } = await import('../test/helpers/cloudflare-worker')
  const config = readWranglerConfig()
  const mf = await startWorkerd(await bundleWorker(config), config, env)
  const url = (await mf.ready).toString()
  return { url, dispose: () => mf.dispose() }
}

/** Measure both runtimes on `events` events over `profiles` profiles. */
export async function benchWebhook(events: number, profiles = Math.max(100, Math.min(20_000, Math.round(events / 10)))): Promise<WebhookBenchResult[]> {
  const { startKlaviyoEmulator } = await import('../sandbox/klaviyo-emulator')
  const klaviyo = await startKlaviyoEmulator({ privateKeys: [PK] })
  const results: WebhookBenchResult[] = []
  try {
    const store = klaviyo.store
    const profileIds: string[] = []
    for (let j = 0; j < profiles; j++) profileIds.push(store.createOrUpdateProfile({ email: `p${j}@bench.example`, properties: { segment_anonymous_id: `anon-${j}` } }).profile.id)
    const metricIds: Record<string, string> = {}
    for (const [topic, name] of [['received_email', 'Received Email'], ['opened_email', 'Opened Email'], ['clicked_email', 'Clicked Email']] as const) {
      metricIds[topic] = store.recordEvent({ metricName: name, profileId: profileIds[0], time: new Date() }).metric_id
    }
    for (const runtime of ['relay serve', 'Worker (workerd)'] as const) {
      const sink = await countingSink()
      const env = { KLAVIYO_WEBHOOK_SECRET: SECRET, KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: klaviyo.url, SEGMENT_API_HOST: sink.url }
      const before = klaviyo.serverRequests().filter((r) => r.path === '/api/profiles').length
      const batches = deliveries(events, profileIds, metricIds)
      let stop: () => Promise<void>
      let url: string
      if (runtime === 'relay serve') {
        const s = await startServe(env)
        url = s.url
        stop = async () => {
          s.child.kill('SIGTERM')
          await new Promise((r) => s.child.once('exit', r))
        }
      } else {
        const w = await startWorker(env)
        url = w.url
        stop = w.dispose
      }
      try {
        const run = await drive(url, batches)
        results.push({
          runtime,
          events: sink.count(),
          eventsPerSec: sink.count() / run.seconds,
          p50Ms: run.p50,
          profileCalls: klaviyo.serverRequests().filter((r) => r.path === '/api/profiles').length - before,
          failures: run.failures,
        })
      } finally {
        await stop()
        await sink.close()
      }
    }
  } finally {
    await klaviyo.close()
  }
  return results
}

/** The bench table rows. */
export async function benchWebhookRows(events: number): Promise<Section> {
  const results = await benchWebhook(events)
  const serve = results.find((r) => r.runtime === 'relay serve')
  const worker = results.find((r) => r.runtime === 'Worker (workerd)')
  const rows: Row[] = results.map((r) => {
    const other = r === serve ? worker : serve
    return {
      n: 8,
      figure: `Webhooks: events/s through ${r.runtime === 'relay serve' ? '`relay serve`' : 'the Worker entry (workerd)'} (${num(events)} events in 1,000-event published-shape deliveries, profiles looked up)`,
      mailstitch: `${num(r.eventsPerSec)}/s (p50 ${r.p50Ms.toFixed(0)} ms a delivery, ${r.profileCalls} Get Profiles calls${r.failures ? `, ${r.failures} deliveries failed` : ''})`,
      baseline: other ? `${other.runtime}: ${num(other.eventsPerSec)}/s` : '—',
      ratio: other ? ratio(r.eventsPerSec, other.eventsPerSec) : '—',
      goal: `> ${num(ACCOUNT_FLOOR)}/s (one account's poll ceiling, low end)`,
      met: r.failures === 0 && r.eventsPerSec > ACCOUNT_FLOOR,
    }
  })
  return {
    rows,
    notes: [
      `Webhooks: ${results.map((r) => `${r.runtime}: ${num(r.events)} events relayed at ${num(r.eventsPerSec)} events/s, median ${r.p50Ms.toFixed(0)} ms per 1,000-event delivery, ${r.profileCalls} Get Profiles calls`).join('; ')}. ` +
        `Each delivery is signed, in Klaviyo's published shape (no included), with ${IN_FLIGHT} in flight; profiles are looked up in batches of 100 (Get Profiles any(id,[…])) within the relay's budget of Klaviyo's limits (75/s, 700/min) and cached; Segment is a counting sink. ` +
        'The Klaviyo emulator does not enforce per-endpoint rate limits yet; the relay keeps to its own budget regardless. Both runtimes run in their own process; this process holds the emulator, the sink and the sender, so on 2 cores the three share the CPU.',
    ],
  }
}

runStandalone(import.meta.url, () => benchWebhook(Number(process.argv[2] ?? 20_000)))
