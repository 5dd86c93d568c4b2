/**
 * Row 6: landing on a second device from a tokenised email link. A fresh device (browser
 * context) opens the product page with `?mst=<token>` (mailstitch) or, as the baseline, with
 * Segment's own `?ajs_aid=<token>` (analytics.js's query-string handling, no mailstitch).
 * Measured per landing:
 * - events sent before the adopted id is in place: events of that landing reaching the collector
 *   under any anonymousId other than the token (goal 0);
 * - time to adoption: from navigation start (performance.timeOrigin) to the moment analytics.js
 *   stores the token as its anonymousId. An init script (runs before any page script) watches
 *   analytics.js's own persistence — `localStorage.setItem('ajs_anonymous_id', …)` and the
 *   `ajs_anonymous_id` cookie — which both paths go through (`setAnonymousId`), so the same
 *   probe times both. Also noted: when the first event carrying the token reached the collector.
 * Landings run one at a time (the collector is reset before each).
 */
import { randomUUID } from 'node:crypto'
import { runAlone, sleep, type Stack, until } from './lib/stack'
import { median, ms, quantile, ratio, type Section } from './lib/stats'

const PROBE = `(() => {
  var q = new URLSearchParams(location.search);
  var token = q.get('mst') || q.get('ajs_aid');
  if (!token) return;
  window.__adopt = null;
  var mark = function () { if (window.__adopt == null) window.__adopt = performance.now(); };
  var setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    var r = setItem.apply(this, arguments);
    if (k === 'ajs_anonymous_id' && String(v).indexOf(token) >= 0) mark();
    return r;
  };
  var d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  Object.defineProperty(document, 'cookie', {
    configurable: true,
    get: function () { return d.get.call(this); },
    set: function (v) { d.set.call(this, v); if (/^\\s*ajs_anonymous_id=/.test(v) && decodeURIComponent(v).indexOf(token) >= 0) mark(); }
  });
})();`

type Variant = 'after' | 'before' | 'baseline'
interface Landing { adoptMs: number | null; before: number; total: number; firstEventMs: number | null; pageArrived: boolean; error?: string }

async function land(stack: Stack, v: Variant): Promise<Landing> {
  const token = randomUUID()
  stack.collector.reset()
  const context = await stack.device()
  try {
    await context.addInitScript(PROBE)
    const page = await context.newPage()
    const url = v === 'baseline' ? `${stack.site.url}/landing/baseline?utm_source=klaviyo&ajs_aid=${token}` : `${stack.site.url}/landing/${v}?utm_source=klaviyo&mst=${token}`
    await page.goto(url)
    const origin = await page.evaluate(() => performance.timeOrigin)
    await page.evaluate(() => new Promise<void>((r) => { (window as unknown as { analytics: { ready(cb: () => void): void } }).analytics.ready(() => r()); setTimeout(r, 10_000) }))
    const want = (e: { type: string; event?: string }) => (v === 'baseline' ? e.type === 'page' : e.event === 'Email Link Landed')
    await until(() => stack.collector.events().some((e) => e.type === 'page') && stack.collector.events().some(want), 5_000)
    await sleep(300) // stragglers
    const adoptMs = await page.evaluate(() => (window as unknown as { __adopt: number | null }).__adopt)
    const events = stack.collector.events()
    const first = events.find((e) => e.anonymousId === token)
    return {
      adoptMs,
      before: events.filter((e) => e.anonymousId !== token).length,
      total: events.length,
      firstEventMs: first ? Date.parse(first.receivedAt) - origin : null,
      pageArrived: events.some((e) => e.type === 'page'),
    }
  } catch (e) {
    return { adoptMs: null, before: NaN, total: 0, firstEventMs: null, pageArrived: false, error: String(e).slice(0, 200) }
  } finally {
    await context.close().catch(() => {})
  }
}

export async function benchLanding(stack: Stack, trials = 8): Promise<Section> {
  const body = '<h1>Product</h1><a id="next" href="/cart">Cart</a>'
  stack.site.page('/landing/after', stack.storefront({ after: stack.scriptTag(), body, title: 'Product' }))
  stack.site.page('/landing/before', stack.storefront({ before: stack.scriptTag(), body, title: 'Product' }))
  stack.site.page('/landing/baseline', stack.storefront({ body, title: 'Product' }))
  const res: Record<Variant, Landing[]> = { after: [], before: [], baseline: [] }
  await land(stack, 'after') // warm-up
  for (let i = 0; i < trials; i++) for (const v of ['after', 'before', 'baseline'] as const) res[v].push(await land(stack, v))
  const sum = (v: Variant) => {
    const ok = res[v].filter((l) => !l.error)
    const adopt = ok.map((l) => l.adoptMs).filter((x): x is number => x != null)
    const first = ok.map((l) => l.firstEventMs).filter((x): x is number => x != null)
    return {
      n: res[v].length,
      errors: res[v].length - ok.length,
      before: ok.reduce((a, l) => a + l.before, 0),
      events: ok.reduce((a, l) => a + l.total, 0),
      neverAdopted: ok.length - adopt.length,
      noPage: ok.filter((l) => !l.pageArrived).length,
      adopt: median(adopt),
      adoptP90: quantile(adopt, 0.9),
      first: median(first),
    }
  }
  const a = sum('after')
  const b = sum('before')
  const s = sum('baseline')
  const eventsCell = (x: typeof a) => `${x.before} of ${x.events} events${x.noPage ? `; no page event from ${x.noPage}/${x.n} landings within 5 s` : ''}`
  const adoptCell = (x: typeof a) => `${ms(x.adopt, 0)}${x.neverAdopted ? ` (${x.neverAdopted}/${x.n} never adopted)` : ''}`
  return {
    rows: [
      {
        n: 6,
        figure: `Landing: events sent before the adopted id is in place (${trials} landings, tag after the snippet)`,
        mailstitch: eventsCell(a),
        baseline: `Segment ajs_aid: ${eventsCell(s)}`,
        ratio: '—',
        goal: '0 (and the page event arrives)',
        met: a.before === 0 && a.errors === 0 && a.neverAdopted === 0 && a.noPage === 0,
      },
      {
        n: 6,
        figure: 'Landing: navigation start → adoption (median)',
        mailstitch: adoptCell(a),
        baseline: `Segment ajs_aid: ${adoptCell(s)}`,
        ratio: ratio(a.adopt, s.adopt),
        goal: '— (as soon as analytics.js is up)',
        met: null,
      },
    ],
    notes: [
      `Landing, per variant (${trials} landings each): events under another id / all events; adoption median, p90; first event with the token at the collector (median, from navigation start). ` +
        `mailstitch after the snippet: ${a.before}/${a.events}; ${ms(a.adopt, 0)}, ${ms(a.adoptP90, 0)}; ${ms(a.first, 0)}. ` +
        `mailstitch before the snippet: ${b.before}/${b.events}; ${ms(b.adopt, 0)}, ${ms(b.adoptP90, 0)}; ${ms(b.first, 0)}. ` +
        `Segment ajs_aid: ${s.before}/${s.events}; ${ms(s.adopt, 0)}, ${ms(s.adoptP90, 0)}; ${ms(s.first, 0)}. ` +
        `Landings whose page event never arrived: after ${a.noPage}, before ${b.noPage}, ajs_aid ${s.noPage}. Harness errors: ${a.errors + b.errors + s.errors}. mailstitch's landing also sends one Email Link Landed track (counted above, under the token); ` +
        `ajs_aid carries no policy: it adopts on any browser, identified or not, while mailstitch adopts only on a fresh one and scrubs the token from the URL.`,
    ],
  }
}

await runAlone(import.meta.url, (stack) => benchLanding(stack, Number(process.env.N) || 3))
