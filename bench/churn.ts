/**
 * Row 5: SPA churn. 10,000 forms (each with an email field) inserted into and removed from the
 * DOM, in batches of 100 with a microtask checkpoint after each batch (so a MutationObserver,
 * had mailstitch one, would be charged), timed in the page; the page runs the Segment snippet
 * and analytics.js. "With" = mailstitch started (script tag, forms: 'auto'); "without" = the
 * same page after `instance.destroy()`, which removes everything it added.
 *
 * Why in one page: this machine is shared, and two pages side by side do not get the same CPU
 * (Chromium lowers the priority of the renderer it considers in the background — measured: the
 * first-opened page ran 4× slower whatever it held). So one page alternates: 10 chunks of 1,000
 * per state, the order flipping each chunk (ABBA…), so drift falls on both states alike. A
 * garbage collection runs between chunks, outside the timing: detached forms that no GC has
 * collected yet make each further insertion slower in Chromium (a tight loop never lets GC
 * run), which would otherwise penalise whichever state runs later. Each round is a fresh page; the table shows medians over
 * rounds. "No measurable difference" = the with/without difference is within the spread of
 * the paired differences across rounds, or under 5%.
 */
import type { Page } from '@playwright/test'
import { COMPANY_ID, LIST_ID, runAlone, type Stack } from './lib/stack'
import { iqr, median, ms, ratio, type Section } from './lib/stats'

const CHURN = `<script>
window.__churn = async function (total, batch) {
  var root = document.getElementById('app');
  var tpl = document.createElement('form');
  tpl.innerHTML = '<label>Email<input type="email" name="email"></label><input type="text" name="first_name"><button type="submit">Join</button>';
  var t0 = performance.now();
  for (var done = 0; done < total; done += batch) {
    var added = [];
    for (var i = 0; i < batch; i++) {
      var f = tpl.cloneNode(true);
      f.id = 'f' + (window.__n = (window.__n || 0) + 1);
      root.appendChild(f);
      added.push(f);
    }
    for (var j = 0; j < added.length; j++) added[j].remove();
    await Promise.resolve();
  }
  return performance.now() - t0;
};
</script>`

type V = 'with' | 'without'
interface MsGlobal { mailstitch: { instance?: { destroy(): void }; createMailstitch(o: unknown): { destroy(): void } } }

async function setState(page: Page, v: V, klaviyoBase: string): Promise<void> {
  await page.evaluate(
    ([state, opts]) => {
      const g = (window as unknown as MsGlobal).mailstitch
      if (state === 'without') {
        g.instance?.destroy()
        g.instance = undefined
      } else if (!g.instance) g.instance = g.createMailstitch(opts)
    },
    [v, { klaviyo: { companyId: COMPANY_ID, listId: LIST_ID, apiBase: klaviyoBase }, forms: 'auto' }] as const,
  )
}

export async function benchChurn(stack: Stack, rounds = 3, total = 10_000, chunks = 10): Promise<Section> {
  stack.site.page('/churn', stack.storefront({ head: CHURN, after: stack.scriptTag(), body: '<main id="app"><h1>SPA</h1></main>' }))
  const times: Record<V, number[]> = { with: [], without: [] }
  for (let r = 0; r < rounds; r++) {
    const context = await stack.device()
    const page = await context.newPage()
    await page.goto(`${stack.site.url}/churn`)
    await page.evaluate(() => new Promise<void>((res) => (window as unknown as { analytics: { ready(cb: () => void): void } }).analytics.ready(() => res())))
    await context.unrouteAll({ behavior: 'wait' }) // see Stack.device
    if (!(await page.evaluate(() => !!(window as unknown as MsGlobal).mailstitch?.instance))) throw new Error('churn: mailstitch did not start')
    const sum: Record<V, number> = { with: 0, without: 0 }
    for (let c = 0; c < chunks; c++) {
      for (const v of (c + r) % 2 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
        await setState(page, v, stack.klaviyo.url)
        await page.evaluate(() => (window as unknown as { gc?: () => void }).gc?.())
        sum[v] += await page.evaluate(([n, b]) => (window as unknown as { __churn(n: number, b: number): Promise<number> }).__churn(n, b), [total / chunks, 100] as const)
      }
    }
    times.with.push(sum.with)
    times.without.push(sum.without)
    await context.close()
  }
  const w = median(times.with)
  const o = median(times.without)
  const diffs = times.with.map((t, i) => t - times.without[i])
  const d = median(diffs)
  const noise = iqr(diffs)
  return {
    rows: [
      {
        n: 5,
        figure: `SPA churn: ${total.toLocaleString('en-US')} form insertions + removals, started vs. not (median of ${rounds} rounds)`,
        mailstitch: ms(w, 0),
        baseline: `not started: ${ms(o, 0)}`,
        ratio: ratio(w, o, 3),
        goal: 'no measurable difference',
        met: Math.abs(d) <= noise || Math.abs(d) < 0.05 * o,
      },
    ],
    notes: [
      `SPA churn (ms per round, started / not started): ${times.with.map((t, i) => `${t.toFixed(0)} / ${times.without[i].toFixed(0)}`).join('; ')}. ` +
        `Median paired difference ${ms(d, 0)}, spread (IQR) ${ms(noise, 0)}. mailstitch listens for submit once on the document (capture phase) and has no ` +
        `MutationObserver, so DOM churn never reaches its code.`,
    ],
  }
}

await runAlone(import.meta.url, (stack) => benchChurn(stack, Number(process.env.ROUNDS) || 2))
