/**
 * Row 7: the relay's poll throughput and memory, from `benchRelay` in bench/relay.ts (it runs the
 * real relay in a child process pinned to one core, polling the Klaviyo emulator in synthetic bulk
 * mode into a counting Segment sink), set against the upstream ceiling of one Klaviyo account.
 *
 * The ceiling: Get Events allows 3,500 requests a minute steady (350/s burst) per account
 * (developers.klaviyo.com/en/reference/get_events, "Rate limits"; the tiers on
 * developers.klaviyo.com/en/docs/rate_limits_and_error_handling), and `page[size]` up to 1,000 in the
 * 2026-07-15 spec (the endpoint's description still says 200). So one account tops out between
 * 3,500/60 × 200 ≈ 11,700 and 3,500/60 × 1,000 ≈ 58,300 events/s; the relay asks for 1,000 a page,
 * so the upper end is its goal and the rows report the distance to it.
 *
 * Loaded by path at run time so this row reports "not available" (instead of the whole bench
 * failing) while bench/relay.ts is missing or its shape changes.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { num, ratio, type Row, type Section } from './lib/stats'

/** Get Events' steady limit, requests per second (3,500 a minute per account). */
export const GET_EVENTS_REQUESTS_PER_SEC = 3500 / 60
/** Upstream ceiling at Klaviyo's documented default page size (200): ≈ 11,700 events/s. */
export const UPSTREAM_EVENTS_PER_SEC_LOW = GET_EVENTS_REQUESTS_PER_SEC * 200
/** Upstream ceiling at the largest page the spec allows (1,000), which the relay asks for: ≈ 58,300 events/s. */
export const UPSTREAM_EVENTS_PER_SEC_HIGH = GET_EVENTS_REQUESTS_PER_SEC * 1000
/** The ceiling the rows are measured against (the upper end). */
export const UPSTREAM_EVENTS_PER_SEC = UPSTREAM_EVENTS_PER_SEC_HIGH

const CEILING = `${num(UPSTREAM_EVENTS_PER_SEC_LOW)}–${num(UPSTREAM_EVENTS_PER_SEC_HIGH)}/s (3,500 req/min × 200–1,000 events/page)`

interface Result { events: number; eventsPerSec: number; peakRssMb?: number; heapDeltaMb?: number; eventsPerCpuSec?: number }

export async function benchRelayRow(root: string, counts = [100_000, 1_000_000]): Promise<Section> {
  const file = path.join(root, 'bench', 'relay.ts')
  const missing = (why: string): Section => ({
    rows: [{ n: 7, figure: 'Relay poll: events/s and peak memory (100k, 1M events)', mailstitch: `not measured: ${why}`, baseline: `upstream ceiling ${CEILING}`, ratio: '—', goal: `≥ ${num(UPSTREAM_EVENTS_PER_SEC)} events/s on one core; memory flat`, met: false }],
    notes: [`Relay: not measured (${why}).`],
  })
  if (!existsSync(file)) return missing('bench/relay.ts is not there yet')
  const mod = (await import(pathToFileURL(file).href)) as { benchRelay?: (counts: number[]) => Promise<Result[]> }
  if (typeof mod.benchRelay !== 'function') return missing('bench/relay.ts exports no benchRelay')
  const results = await mod.benchRelay(counts)
  const rows: Row[] = results.map((r) => ({
    n: 7,
    figure: `Relay poll: ${num(r.events)} Klaviyo events through the emulators, events/s (one core); distance to the upper ceiling`,
    mailstitch: `${num(r.eventsPerSec)}/s${r.eventsPerCpuSec ? ` (${num(r.eventsPerCpuSec)} per CPU-s)` : ''}; ${distance(r.eventsPerSec)}`,
    baseline: `upstream ceiling ${CEILING}`,
    ratio: ratio(r.eventsPerSec, UPSTREAM_EVENTS_PER_SEC),
    goal: `≥ ${num(UPSTREAM_EVENTS_PER_SEC)}/s (the upper end)`,
    met: r.eventsPerSec >= UPSTREAM_EVENTS_PER_SEC,
  }))
  const small = results[0]
  const big = results[results.length - 1]
  if (small && big && small !== big && small.peakRssMb != null && big.peakRssMb != null) {
    rows.push({
      n: 7,
      figure: `Relay: peak RSS, ${num(small.events)} → ${num(big.events)} events (heap retained after the run)`,
      mailstitch: `${small.peakRssMb.toFixed(0)} MB → ${big.peakRssMb.toFixed(0)} MB (${(small.heapDeltaMb ?? NaN).toFixed(1)} → ${(big.heapDeltaMb ?? NaN).toFixed(1)} MB)`,
      baseline: `${(big.events / small.events).toFixed(0)}× the events`,
      ratio: ratio(big.peakRssMb, small.peakRssMb),
      goal: 'flat (≤ 1.25× for 10× the events)',
      met: big.peakRssMb <= 1.25 * small.peakRssMb,
    })
  }
  return {
    rows,
    notes: [
      `Relay: ${results.map((r) => `${num(r.events)} events: ${num(r.eventsPerSec)} events/s wall, ${r.eventsPerCpuSec ? num(r.eventsPerCpuSec) : 'n/a'} events per CPU-second, peak RSS ${r.peakRssMb ?? 'n/a'} MB, heap retained ${r.heapDeltaMb ?? 'n/a'} MB`).join('; ')}. ` +
        `Upstream ceiling of one Klaviyo account: Get Events allows 3,500 requests/min and up to 1,000 events/page (its description still says 200), so ${CEILING}; ` +
        `the relay asks for 1,000 a page, so the upper end is the goal, and one account cannot go faster however the poll is sharded (scale by account). ` +
        `Wall-clock rate includes waiting for the CPU when other processes share the machine; events per CPU-second is the relay's own speed.`,
    ],
  }
}

/** "x% of the upper ceiling" or "at the ceiling". */
function distance(eventsPerSec: number): string {
  if (eventsPerSec >= UPSTREAM_EVENTS_PER_SEC) return 'at the upper ceiling'
  const below = UPSTREAM_EVENTS_PER_SEC - eventsPerSec
  return `${num(below)}/s (${((below / UPSTREAM_EVENTS_PER_SEC) * 100).toFixed(0)} %) below the upper ceiling`
}
