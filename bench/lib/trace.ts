/** Reading Chromium traces (Trace Event Format) for main-thread attribution. */

export interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  cat?: string
  args?: { name?: string; data?: { url?: string; frame?: string; type?: string; [k: string]: unknown }; [k: string]: unknown }
}

export function parseTrace(buf: Buffer): TraceEvent[] {
  const t = JSON.parse(buf.toString('utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[]
  return Array.isArray(t) ? t : t.traceEvents ?? []
}

/** The renderer main thread that evaluated scripts of the page at `pageUrl`'s origin. */
export function pageMainThread(events: TraceEvent[], origin: string): { pid: number; tid: number } | null {
  const ev = events.find((e) => e.name === 'EvaluateScript' && typeof e.args?.data?.url === 'string' && e.args.data.url.startsWith(origin))
  return ev ? { pid: ev.pid, tid: ev.tid } : null
}

/** Total duration of complete events matching `pick`, counting nested matches once (outermost wins). */
export function outermostTotal(events: TraceEvent[], where: { pid: number; tid: number }, pick: (e: TraceEvent) => boolean): { ms: number; count: number; intervals: [number, number][] } {
  const xs = events
    .filter((e) => e.ph === 'X' && e.pid === where.pid && e.tid === where.tid && typeof e.dur === 'number' && pick(e))
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0))
  let total = 0
  let count = 0
  let end = -Infinity
  const intervals: [number, number][] = []
  for (const e of xs) {
    if (e.ts < end) continue // nested inside an event already counted
    total += e.dur!
    count++
    end = e.ts + e.dur!
    intervals.push([e.ts, end])
  }
  return { ms: total / 1000, count, intervals }
}
