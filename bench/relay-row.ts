/**
 * Row 7: the relay's throughput and memory, from `benchRelay` in bench/relay.ts (owned by the
 * relay's author: it runs the real relay in a child process pinned to one core, polling the
 * Klaviyo emulator in synthetic bulk mode into a counting Segment sink), set against the
 * physical upstream limit: Klaviyo's steady rate of 3,500 requests a minute × 200 events a page.
 *
 * Loaded by path at run time so this row reports "not available" (instead of the whole bench
 * failing) while bench/relay.ts is missing or its shape changes.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { num, ratio, type Row, type Section } from './lib/stats'

/** Klaviyo Get Events: 350/s burst, 3,500/min steady; 200 events per page (page[size] max). */
export const UPSTREAM_EVENTS_PER_SEC = (3500 / 60) * 200

interface Result { events: number; eventsPerSec: number; peakRssMb?: number; heapDeltaMb?: number; eventsPerCpuSec?: number }

export async function benchRelayRow(root: string, counts = [100_000, 1_000_000]): Promise<Section> {
  const file = path.join(root, 'bench', 'relay.ts')
  const missing = (why: string): Section => ({
    rows: [{ n: 7, figure: 'Relay: events/s and peak memory (100k, 1M events)', mailstitch: `not measured: ${why}`, baseline: `upstream limit ${num(UPSTREAM_EVENTS_PER_SEC)} events/s`, ratio: '—', goal: `> ${num(UPSTREAM_EVENTS_PER_SEC)} events/s on one core; memory flat`, met: false }],
    notes: [`Relay: not measured (${why}).`],
  })
  if (!existsSync(file)) return missing('bench/relay.ts is not there yet')
  const mod = (await import(pathToFileURL(file).href)) as { benchRelay?: (counts: number[]) => Promise<Result[]> }
  if (typeof mod.benchRelay !== 'function') return missing('bench/relay.ts exports no benchRelay')
  const results = await mod.benchRelay(counts)
  const rows: Row[] = results.map((r) => ({
    n: 7,
    figure: `Relay: ${num(r.events)} Klaviyo events through the emulators, events/s (one core)`,
    mailstitch: `${num(r.eventsPerSec)}/s${r.eventsPerCpuSec ? ` (${num(r.eventsPerCpuSec)} per CPU-s)` : ''}`,
    baseline: `upstream limit ${num(UPSTREAM_EVENTS_PER_SEC)}/s`,
    ratio: ratio(r.eventsPerSec, UPSTREAM_EVENTS_PER_SEC),
    goal: `> ${num(UPSTREAM_EVENTS_PER_SEC)}/s`,
    met: r.eventsPerSec > UPSTREAM_EVENTS_PER_SEC,
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
        `Upstream limit: 3,500 requests/min × 200 events/page = ${num(UPSTREAM_EVENTS_PER_SEC)} events/s. Wall-clock rate includes waiting for the CPU when other processes share the machine; ` +
        `events per CPU-second is the relay's own speed.`,
    ],
  }
}
