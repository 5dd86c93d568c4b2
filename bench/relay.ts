/**
 * Relay throughput benchmark: the real relay (klaviyo-api client → mapper → analytics-node) polls
 * the Klaviyo emulator in synthetic mode and delivers to a counting `/v1/batch` sink.
 *
 * Each count runs the relay in its own child process (so peak RSS is that run's, not the
 * accumulated heap of earlier runs), pinned to one CPU with taskset when available; the emulator
 * and the sink run in this process on the other CPU. The sink only counts (a bitmap over event
 * indexes catches duplicates and gaps) because the sandbox collector keeps every event in memory,
 * which at 1M events would measure the collector instead of the relay.
 *
 * Run: node --import tsx bench/relay.ts 100000 1000000
 * Profile the relay child: RELAY_BENCH_CPU_PROF=<dir> node --import tsx bench/relay.ts 100000
 * (writes a .cpuprofile per run into <dir>; open it in Chrome DevTools).
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runStandalone } from './lib/standalone'

/** One benchmark result. */
export interface RelayBenchResult {
  events: number
  /** Wall-clock throughput of the poll. */
  eventsPerSec: number
  /** Peak resident set size of the relay process (whole life, including start-up). */
  peakRssMb: number
  /** Heap used after the poll minus before it, both after a full GC: what the run retained. */
  heapDeltaMb: number
  /** Events per CPU-second of the relay process: stable when other work shares the machine. */
  eventsPerCpuSec?: number
}

interface ChildArgs {
  klaviyoUrl: string
  sinkUrl: string
  since: string
  statePath: string
}

interface ChildResult {
  sent: number
  fetched: number
  seconds: number
  cpuSeconds: number
  peakRssMb: number
  heapDeltaMb: number
}

const SELF = fileURLToPath(import.meta.url)
export const SYNTHETIC_START = new Date('2026-01-01T00:00:00Z')

/** Run the relay end to end once per count and report throughput and memory. */
export async function benchRelay(counts: number[]): Promise<RelayBenchResult[]> {
  const { startKlaviyoEmulator } = await import('../sandbox/klaviyo-emulator')
  const pin = hasTaskset()
  if (pin) pinSelf(1)
  const results: RelayBenchResult[] = []
  for (const n of counts) {
    const emulator = await startKlaviyoEmulator({ privateKeys: ['pk_test'] })
    // 1 s apart: 1M events span ~12 days, so the 10-minute overlap window stays small, as in a real account.
    emulator.store.seedSynthetic({ profiles: Math.min(50_000, Math.max(1, Math.floor(n / 20))), events: n, start: SYNTHETIC_START, spacingMs: 1000 })
    const sink = await startCountingSink(n)
    const dir = await mkdtemp(join(tmpdir(), 'mst-bench-'))
    try {
      const child = await runChild({ klaviyoUrl: emulator.url, sinkUrl: sink.url, since: SYNTHETIC_START.toISOString(), statePath: join(dir, 'state.json') }, pin)
      const { distinct, duplicates } = sink.stats()
      if (child.sent !== n || distinct !== n) {
        throw new Error(`relay bench: expected ${n} events, relay sent ${child.sent}, sink saw ${distinct} distinct (${duplicates} duplicates)`)
      }
      results.push({
        events: n,
        eventsPerSec: Math.round(n / child.seconds),
        peakRssMb: round1(child.peakRssMb),
        heapDeltaMb: round1(child.heapDeltaMb),
        eventsPerCpuSec: Math.round(n / child.cpuSeconds),
      })
    } finally {
      await sink.close()
      await emulator.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
  return results
}

/** A `/v1/batch` endpoint that acknowledges and counts events by synthetic index (also bench/poll-worker.ts). */
export async function startCountingSink(expected: number) {
  const seen = new Uint8Array(expected)
  let distinct = 0
  let duplicates = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch?: Array<{ messageId?: string }> }
        for (const e of body.batch ?? []) {
          // messageId is klaviyo-S<base36 index> for synthetic events.
          const i = parseInt((e.messageId ?? '').slice('klaviyo-S'.length), 36)
          if (!(i >= 0 && i < expected)) continue
          if (seen[i]) duplicates++
          else {
            seen[i] = 1
            distinct++
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"success":true}')
      } catch {
        res.writeHead(400)
        res.end()
      }
    })
  })
  server.keepAliveTimeout = 10_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ distinct, duplicates }),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

/**
 * The relay under test: the built `dist/relay/index.mjs` when it is newer than the sources (what
 * `npm run bench` measures, after its build), else `src/relay/index.ts` through tsx.
 */
function relayModule(): { url: string; tsx: boolean } {
  const root = join(dirname(SELF), '..')
  const dist = join(root, 'dist', 'relay', 'index.mjs')
  const srcDir = join(root, 'src', 'relay')
  if (existsSync(dist)) {
    const built = statSync(dist).mtimeMs
    const newest = Math.max(...readdirSync(srcDir).filter((f) => f.endsWith('.ts')).map((f) => statSync(join(srcDir, f)).mtimeMs))
    if (built >= newest) return { url: pathToFileURL(dist).href, tsx: false }
  }
  return { url: pathToFileURL(join(srcDir, 'index.ts')).href, tsx: true }
}

// Runs in the child: one full poll of the synthetic account, timed. Plain JS so the child needs
// no TypeScript loader when it measures the built package.
const CHILD = `
const args = JSON.parse(process.argv[1])
const { createRelay } = await import(args.module)
const gc = globalThis.gc ?? (() => {})
const relay = createRelay({
  klaviyoPrivateKey: 'pk_test',
  segmentWriteKey: 'wk_bench',
  klaviyoApiBase: args.klaviyoUrl,
  segmentApiHost: args.sinkUrl,
  statePath: args.statePath,
})
gc()
const heap0 = process.memoryUsage().heapUsed
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const summary = await relay.pollOnce({ since: args.since })
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
await relay.stop()
gc()
const heap1 = process.memoryUsage().heapUsed
process.stdout.write(JSON.stringify({
  sent: summary.sent,
  fetched: summary.fetched,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  heapDeltaMb: (heap1 - heap0) / (1024 * 1024),
}) + '\\n')
process.exit(0)
`

function runChild(args: ChildArgs, pin: boolean): Promise<ChildResult> {
  const mod = relayModule()
  const prof = process.env.RELAY_BENCH_CPU_PROF
  const nodeArgs = ['--expose-gc', ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...(mod.tsx ? ['--import', 'tsx'] : []), '--input-type=module', '-e', CHILD, JSON.stringify({ ...args, module: mod.url })]
  const [cmd, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: join(dirname(SELF), '..'), stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`relay bench child exited ${code}: ${out}`))
      try {
        resolve(JSON.parse(line) as ChildResult)
      } catch {
        reject(new Error(`relay bench child printed no result: ${out}`))
      }
    })
  })
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function pinSelf(cpu: number): void {
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(process.pid)], { stdio: 'ignore' })
  } catch {
    /* best effort: without it the OS schedules freely */
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10
}

runStandalone(import.meta.url, () => {
  const counts = process.argv.slice(2).map(Number)
  return benchRelay(counts.length ? counts : [100_000, 1_000_000])
})
