/**
 * Row 2: main-thread cost of loading and starting mailstitch on a storefront page with 2,000
 * elements and 50 forms (the Segment snippet and analytics.js on it too, as in production).
 *
 * How it is measured, and why this way: whole-page main-thread totals (CDP
 * `Performance.getMetrics` TaskDuration, or the sum of all renderer tasks in a trace) swing by
 * tens to hundreds of milliseconds between identical loads of this page, so "median with minus
 * median without" cannot resolve a cost under a millisecond: it would report noise. Performance
 * marks around the tag are no better: a parser-blocking external script's bracket includes
 * waiting for the network. So each load is traced (Chromium's `devtools.timeline` category,
 * which DevTools' Performance panel uses) and mailstitch is charged for every main-thread event
 * attributed to its script URL: `EvaluateScript` of dist/mailstitch.min.js (compile, top-level
 * run, lazy compiles, its storage/cookie IPC, and the microtask checkpoint after it) plus any
 * later `FunctionCall` (listeners, timers, callbacks) into that script, nested events counted
 * once. Not charged: what analytics.js calls inside mailstitch (its plugins' `load`, the
 * scrubber on a landing) runs within analytics.js's own tasks. On this page that is only
 * `mailstitch-start`'s look for stored jobs: two localStorage reads from the copy analytics.js has
 * just loaded. The same accounting on the page without the tag is the "without" figure (it is 0
 * unless something else runs code from that URL), and the cost is the per-load difference, median of
 * 50 interleaved pairs. Tracing itself slows the renderer a little, which only inflates the
 * figure. The whole-page totals are reported in the notes as a cross-check, with their spread.
 * Each load is a fresh browser context (a first visit: first storage access is paid). The build
 * before issue 19 (bench/lib/previous.ts) is loaded the same way, in turn with the other two pages,
 * and charged for its own script URL.
 */
import { gzipSync } from 'node:zlib'
import { heavyBody } from './lib/pages'
import { runAlone, sleep, type Stack } from './lib/stack'
import { iqr, median, ms, quantile, ratio, type Section } from './lib/stats'
import { outermostTotal, pageMainThread, parseTrace, type TraceEvent } from './lib/trace'
import { buildPrevious, PREVIOUS_CORE, PREVIOUS_REF, previousTag } from './lib/previous'

// devtools.timeline: script attribution; v8.compile and mojom: the breakdown (lazy compiles,
// localStorage IPC). Both add little next to the load-to-load spread; they only inflate the figure.
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-v8.compile', 'mojom']

interface Load { attributed: number; compile: number; storage: number; pageTotal: number }

async function load(stack: Stack, path: string, msUrl: string, cdnBytes?: Map<string, Buffer>): Promise<Load> {
  const context = await stack.device()
  try {
    const page = await context.newPage()
    if (cdnBytes) page.on('response', (r) => { if (/cdn\.segment\.com\/.*\.js$/.test(r.url())) r.body().then((b) => cdnBytes.set(r.url(), b), () => {}) })
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    await stack.browser.startTracing(page, { categories: CATEGORIES })
    let traced: Buffer
    let taskMs = NaN
    try {
      await page.goto(stack.site.url + path, { waitUntil: 'load' })
      await page.evaluate(() => new Promise<void>((r) => { (window as unknown as { analytics: { ready(cb: () => void): void } }).analytics.ready(() => r()); setTimeout(r, 5000) }))
      await sleep(150) // late tasks (timers, ready callbacks, first event sends)
      const { metrics } = await cdp.send('Performance.getMetrics')
      taskMs = (metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN) * 1000
    } finally {
      traced = await stack.browser.stopTracing()
    }
    const events = parseTrace(traced)
    const main = pageMainThread(events, stack.site.url)
    if (!main) throw new Error('startup: no main thread found in trace')
    const mine = (e: TraceEvent) => (e.name === 'EvaluateScript' || e.name === 'FunctionCall' || e.name === 'v8.compile') && e.args?.data?.url === msUrl
    const attributed = outermostTotal(events, main, mine)
    // Breakdown: events nested inside mailstitch's own intervals.
    const within = (pick: (e: TraceEvent) => boolean) => outermostTotal(events, main, (e) => pick(e) && attributed.intervals.some(([a, b]) => e.ts >= a && e.ts < b)).ms
    const compile = within((e) => e.name === 'v8.compile' || e.name.startsWith('V8.Compile') || e.name.startsWith('V8.Parse'))
    const storage = within((e) => e.name.startsWith('StorageArea::') || e.name.includes('DomStorage'))
    return { attributed: attributed.ms, compile, storage, pageTotal: taskMs }
  } finally {
    await context.close().catch(() => {})
  }
}

export async function benchStartup(stack: Stack, loads = 50): Promise<Section> {
  buildPrevious()
  const body = heavyBody(2000, 50)
  stack.site.page('/startup/with', stack.storefront({ after: stack.scriptTag(), body, title: 'Startup with' }))
  stack.site.page('/startup/previous', stack.storefront({ after: previousTag(stack.scriptTag()), body, title: 'Startup previous' }))
  stack.site.page('/startup/without', stack.storefront({ body, title: 'Startup without' }))
  const msUrl = stack.site.url + '/dist/mailstitch.min.js'
  const previousUrl = stack.site.url + PREVIOUS_CORE
  const cdnBytes = new Map<string, Buffer>()
  await load(stack, '/startup/with', msUrl) // warm-up: the site's file reads and the in-memory CDN cache
  await load(stack, '/startup/previous', previousUrl)
  const withL: Load[] = []
  const withoutL: Load[] = []
  const previousL: Load[] = []
  const pages = ['/startup/with', '/startup/without', '/startup/previous'] as const
  for (let i = 0; i < loads; i++) {
    // Rotate the order so drift (GC, thermal, other processes) hits all three alike.
    for (let k = 0; k < pages.length; k++) {
      const p = pages[(i + k) % pages.length]
      if (p === '/startup/previous') previousL.push(await load(stack, p, previousUrl))
      else (p === '/startup/with' ? withL : withoutL).push(await load(stack, p, msUrl, i === 0 && p === '/startup/with' ? cdnBytes : undefined))
    }
  }
  const diffs = withL.map((w, i) => w.attributed - withoutL[i].attributed)
  const cost = median(diffs)
  const previousDiffs = previousL.map((p, i) => p.attributed - withoutL[i].attributed)
  const previousCost = median(previousDiffs)
  const pw = median(withL.map((l) => l.pageTotal))
  const po = median(withoutL.map((l) => l.pageTotal))
  const cdnTotal = [...cdnBytes.values()].reduce((a, b) => a + b.length, 0)
  const cdnGzip = [...cdnBytes.values()].reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0)
  return {
    rows: [
      {
        n: 2,
        figure: `Start-up: main-thread time of loading + starting (2,000 elements, 50 forms; median of ${loads} loads, with − without)`,
        mailstitch: `${ms(cost)} (p90 ${ms(quantile(diffs, 0.9))})`,
        baseline: `the page without it: ${ms(po, 1)} main thread (median)`,
        ratio: `${ratio(cost, po, 4)} of the page`,
        goal: '< 1 ms',
        met: cost < 1,
      },
      {
        n: 2,
        figure: `Start-up against the build before issue 19 (${PREVIOUS_REF}), the same ${loads} loads each (median, with − without)`,
        mailstitch: `${ms(cost)} (p90 ${ms(quantile(diffs, 0.9))})`,
        baseline: `${PREVIOUS_REF}: ${ms(previousCost)} (p90 ${ms(quantile(previousDiffs, 0.9))})`,
        ratio: ratio(cost, previousCost),
        goal: 'no worse than before issue 19',
        met: cost <= previousCost,
      },
    ],
    notes: [
      `Start-up: mailstitch's traced main-thread time per load (median / p90 / max): ${ms(cost)} / ${ms(quantile(diffs, 0.9))} / ${ms(Math.max(...diffs))}; ` +
        `on the page without it the same accounting gives ${ms(median(withoutL.map((l) => l.attributed)))}. ` +
        `Where it goes (medians): parse/compile on the main thread ${ms(median(withL.map((l) => l.compile)))}, localStorage IPC (StorageArea::*; ` +
        `start-up reads no storage, the jobs an earlier page left are looked for once analytics.js has loaded) ${ms(median(withL.map((l) => l.storage)))}, the rest is running its code. ` +
        `Cross-check, whole-page main thread (CDP Performance.getMetrics TaskDuration, nav start to analytics ready + 150 ms): median with ${ms(pw, 1)}, without ${ms(po, 1)} ` +
        `(IQR ${ms(iqr(withL.map((l) => l.pageTotal)), 1)} / ${ms(iqr(withoutL.map((l) => l.pageTotal)), 1)}), difference of medians ${ms(pw - po, 1)}: ` +
        `the load-to-load spread is far larger than the effect, which is why the attributed figure is the one in the table.`,
      `analytics.js as this page actually loads it from the routed CDN: ${cdnBytes.size} file(s)${cdnBytes.size === 1 ? ' (the standalone entry; no lazy chunks with these CDN settings)' : ' (standalone entry + lazy chunks)'}, ${(cdnTotal / 1024).toFixed(1)} KB minified, ${(cdnGzip / 1024).toFixed(1)} KB gzip -9.`,
    ],
  }
}

// Allow `node --import tsx bench/startup.ts` on its own.
await runAlone(import.meta.url, (stack) => benchStartup(stack, Number(process.env.LOADS) || 10))
