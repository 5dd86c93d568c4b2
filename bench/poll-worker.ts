/**
 * Row 9: `relay poll` without a server — the Worker's Cron Trigger pass (deploy/cloudflare/
 * wrangler.toml, bundled as wrangler does, on workerd through miniflare) draining a backlog from
 * the Klaviyo emulator (synthetic bulk mode, 1 s apart) into a counting Segment sink, pass after
 * pass, under two budgets from Cloudflare's published limits
 * (developers.cloudflare.com/workers/platform/limits/): Workers Free (50 subrequests per
 * invocation, MAILSTITCH_POLL_SUBREQUESTS unset) and Workers Paid (10,000; the page cap of 100
 * pages then bounds a pass). Reported: events per trigger, triggers per 100,000 events, the
 * workerd process's CPU seconds per pass (the Paid plan's default CPU limit is 30 s), beside the
 * CLI, which polls the same backlog in one run (row 7).
 *
 * Run alone: node --import tsx bench/poll-worker.ts 100000
 */
import { readdirSync, readFileSync } from 'node:fs'
import { runStandalone } from './lib/standalone'
import { num, type Row, type Section } from './lib/stats'
import { SYNTHETIC_START, startCountingSink } from './relay'

/** One budget's drain of the backlog. */
export interface PollWorkerBenchResult {
  plan: 'Workers Free' | 'Workers Paid'
  events: number
  triggers: number
  /** Mean events sent per trigger. */
  eventsPerTrigger: number
  /** Triggers to drain 100,000 events at this rate. */
  triggersPer100k: number
  /** Largest workerd CPU time of one pass, s (undefined where /proc is not readable). */
  maxCpuSecondsPerPass?: number
  /** Wall time of the longest pass, s. */
  maxWallSecondsPerPass: number
  duplicates: number
}

const PLANS = [
  { plan: 'Workers Free', env: {} },
  { plan: 'Workers Paid', env: { MAILSTITCH_POLL_SUBREQUESTS: '10000' } },
] as const

/** Drain `events` synthetic events under each plan's budget. */
export async function benchPollWorker(events: number): Promise<PollWorkerBenchResult[]> {
  const { startKlaviyoEmulator } = await import('../sandbox/klaviyo-emulator')
  const { bundleWorker, readWranglerConfig, startWorkerd } = await import('../test/helpers/cloudflare-worker')
  const config = readWranglerConfig()
  const script = await bundleWorker(config)
  const results: PollWorkerBenchResult[] = []
  for (const { plan, env } of PLANS) {
    const klaviyo = await startKlaviyoEmulator({ privateKeys: ['pk_test'] })
    klaviyo.store.seedSynthetic({ profiles: Math.max(1, Math.floor(events / 20)), events, start: SYNTHETIC_START, spacingMs: 1000 })
    const sink = await startCountingSink(events)
    const mf = await startWorkerd(script, config, {
      KLAVIYO_PRIVATE_KEY: 'pk_test',
      SEGMENT_WRITE_KEY: 'wk_bench',
      KLAVIYO_API_BASE: klaviyo.url,
      SEGMENT_API_HOST: sink.url,
      MAILSTITCH_POLL_SINCE: SYNTHETIC_START.toISOString(),
      ...env,
    })
    try {
      const fetcher = (await mf.getWorker()) as unknown as { scheduled(o: { cron: string; scheduledTime: Date }): Promise<{ outcome: string }> }
      let triggers = 0
      let maxCpu: number | undefined
      let maxWall = 0
      // A drain that stops making progress is a finding, not a hang: give up after twice the expected triggers.
      const limit = Math.ceil(events / 1000) * 2 + 10
      while (sink.stats().distinct < events && triggers < limit) {
        const cpu0 = workerdCpuSeconds()
        const t0 = performance.now()
        const { outcome } = await fetcher.scheduled({ cron: config.triggers?.crons?.[0] ?? '', scheduledTime: new Date() })
        if (outcome !== 'ok') throw new Error(`poll-worker bench: trigger ${triggers + 1} ended ${outcome}`)
        maxWall = Math.max(maxWall, (performance.now() - t0) / 1000)
        const cpu1 = workerdCpuSeconds()
        if (cpu0 !== undefined && cpu1 !== undefined) maxCpu = Math.max(maxCpu ?? 0, cpu1 - cpu0)
        triggers++
      }
      const { distinct, duplicates } = sink.stats()
      if (distinct !== events) throw new Error(`poll-worker bench (${plan}): ${distinct} of ${events} events after ${triggers} triggers`)
      const perTrigger = events / triggers
      results.push({ plan, events, triggers, eventsPerTrigger: Math.round(perTrigger), triggersPer100k: Math.ceil(100_000 / perTrigger), maxCpuSecondsPerPass: maxCpu, maxWallSecondsPerPass: Math.round(maxWall * 10) / 10, duplicates })
    } finally {
      await mf.dispose()
      await sink.close()
      await klaviyo.close()
    }
  }
  return results
}

/** CPU seconds (user + system) of this process's workerd children, from /proc; undefined where unreadable. */
function workerdCpuSeconds(): number | undefined {
  try {
    const ticksPerSecond = 100 // USER_HZ on Linux
    let total = 0
    let found = false
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      } catch {
        continue
      }
      const close = stat.lastIndexOf(')')
      const comm = stat.slice(stat.indexOf('(') + 1, close)
      const fields = stat.slice(close + 2).split(' ')
      // fields[1] is the parent pid; [11], [12] are utime and stime (proc(5), counted from field 3).
      if (comm !== 'workerd' || Number(fields[1]) !== process.pid) continue
      total += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
      found = true
    }
    return found ? total : undefined
  } catch {
    return undefined
  }
}

/** The bench table rows, beside the CLI's one run (row 7). */
export async function benchPollWorkerRows(events: number): Promise<Section> {
  const results = await benchPollWorker(events)
  const rows: Row[] = results.map((r) => ({
    n: 10,
    figure: `Poll without a server (${r.plan}): events per Cron Trigger, triggers per 100,000 events (${num(r.events)}-event backlog on workerd)`,
    mailstitch: `${num(r.eventsPerTrigger)} events/trigger; ${num(r.triggersPer100k)} triggers per 100k; longest pass ${r.maxWallSecondsPerPass} s wall${r.maxCpuSecondsPerPass !== undefined ? `, ≤ ${r.maxCpuSecondsPerPass.toFixed(1)} s CPU (workerd, incl. the Durable Object)` : ''}${r.duplicates ? `; ${r.duplicates} duplicates` : ''}`,
    baseline: 'the CLI: one run drains the backlog (row 7)',
    ratio: '—',
    goal: r.plan === 'Workers Free' ? '≤ 50 subrequests a pass; no duplicate' : '≤ 30 s CPU a pass (the default limit); no duplicate',
    met: r.duplicates === 0 && (r.plan === 'Workers Free' || (r.maxCpuSecondsPerPass ?? 0) <= 30),
  }))
  return {
    rows,
    notes: [
      `Poll without a server: ${results.map((r) => `${r.plan}: ${num(r.events)} events in ${r.triggers} triggers (${num(r.eventsPerTrigger)} a trigger), longest pass ${r.maxWallSecondsPerPass} s wall${r.maxCpuSecondsPerPass !== undefined ? ` / ${r.maxCpuSecondsPerPass.toFixed(1)} s workerd CPU` : ''}`).join('; ')}. ` +
        'Budgets from developers.cloudflare.com/workers/platform/limits/: Free 50 subrequests and 10 ms CPU per invocation (a pass of 1,000-event pages needs more CPU than 10 ms, so on Free the CPU limit, not the subrequests, is what a real pass hits first); Paid 10,000 subrequests and 30 s CPU by default. ' +
        'With the */5 cron of deploy/cloudflare/wrangler.toml, a 100,000-event backlog drains in (triggers per 100k) × 5 minutes; the CLI drains it in one run. workerd CPU includes the Durable Object, which runs in the same process here.',
    ],
  }
}

runStandalone(import.meta.url, () => benchPollWorker(Number(process.argv[2] ?? 100_000)))
