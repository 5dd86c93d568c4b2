/**
 * Row 1: bytes on the wire. mailstitch's script-tag bundle beside js-cookie and analytics-next's
 * standalone entry (what the Segment snippet loads first; it lazy-loads further chunks, counted
 * separately as the bytes a page actually fetched), and the distance to the 3 KB goal and the 4 KB
 * CI budget (scripts/size-check.mjs). js-cookie writes the state cookie from the runner only
 * (src/browser/runner/state-cookie.ts); what it costs there is measured as the runner built twice,
 * with js-cookie and with a hand-written writer of the same calls (`jsCookieCost`).
 */
import { readFileSync } from 'node:fs'
import { build, type Plugin } from 'esbuild'
import { createRequire } from 'node:module'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { kb, ratio, type Section } from './lib/stats'
import { BUDGET_GZIP, RUNNER_BUDGET_GZIP } from '../scripts/budgets.mjs'

const require = createRequire(import.meta.url)

/** The goal (issue 11), gzip bytes; the CI budgets are scripts/budgets.mjs's. */
const GOAL = 3 * 1024
const BUDGET = BUDGET_GZIP
/** The runner's CI budget: it carries js-cookie. */
const RUNNER_BUDGET = RUNNER_BUDGET_GZIP

/** `120 B over` or `80 B under`. */
const distance = (size: number, limit: number) => (size > limit ? `${size - limit} B over` : `${limit - size} B under`)

export interface Sizes { min: number; gzip: number; brotli: number }

export function sizesOf(buf: Buffer): Sizes {
  return {
    min: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length,
  }
}

/** The hand-written stand-in for the two js-cookie calls the runner makes (what 0.1.x did without it). */
const HAND_WRITTEN_COOKIES = `export default {
  set(name, value, a) {
    const expires = new Date(Date.now() + a.expires * 864e5).toUTCString()
    document.cookie = name + '=' + encodeURIComponent(value) + '; expires=' + expires + '; path=/; samesite=lax' + (a.secure ? '; secure' : '') + (a.domain ? '; domain=' + a.domain : '')
  },
  remove(name, a) {
    document.cookie = name + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/' + (a.domain ? '; domain=' + a.domain : '')
  },
}`

/** The runner's entry bundled and minified by esbuild, js-cookie in it or the stand-in above; gzip bytes. */
async function runnerGzip(root: string, handWritten: boolean): Promise<number> {
  const standIn: Plugin = {
    name: 'hand-written-cookies',
    setup(b) {
      b.onResolve({ filter: /^js-cookie$/ }, () => ({ path: 'js-cookie', namespace: 'stand-in' }))
      b.onLoad({ filter: /.*/, namespace: 'stand-in' }, () => ({ contents: HAND_WRITTEN_COOKIES, loader: 'js' }))
    },
  }
  const out = await build({
    entryPoints: [path.join(root, 'src/browser/runner-tag.ts')],
    bundle: true, minify: true, format: 'iife', target: 'es2020', write: false,
    plugins: handWritten ? [standIn] : [],
  })
  return gzipSync(Buffer.from(out.outputFiles[0]!.contents), { level: 9 }).length
}

/** Gzip bytes js-cookie adds to the runner, against a hand-written writer of the same calls. */
export async function jsCookieCost(root: string): Promise<{ withIt: number; without: number }> {
  return { withIt: await runnerGzip(root, false), without: await runnerGzip(root, true) }
}

export async function benchSize(root: string): Promise<Section> {
  const ms = sizesOf(readFileSync(path.join(root, 'dist/mailstitch.min.js')))
  const jsCookieDir = path.dirname(require.resolve('js-cookie/package.json'))
  const jc = sizesOf(readFileSync(path.join(jsCookieDir, 'dist/js.cookie.min.js')))
  const anDir = path.dirname(require.resolve('@segment/analytics-next/package.json'))
  const an = sizesOf(readFileSync(path.join(anDir, 'dist/umd/standalone.js')))
  const anVersion = (require('@segment/analytics-next/package.json') as { version: string }).version
  const base = (k: keyof Sizes) => `analytics.js ${kb(an[k])} · js-cookie ${kb(jc[k])}`
  const rows = (['min', 'gzip', 'brotli'] as const).map((k) => ({
    n: 1,
    figure: `Size, ${k === 'min' ? 'minified' : k} (dist/mailstitch.min.js)`,
    mailstitch: k === 'gzip' ? `${kb(ms.gzip)} (${distance(ms.gzip, GOAL)} the 3 KB goal, ${distance(ms.gzip, BUDGET)} the 4 KB budget)` : kb(ms[k]),
    baseline: base(k),
    ratio: `${ratio(ms[k], an[k])} of analytics.js`,
    goal: k === 'gzip' ? '< 3 KB and < 1/10 of analytics.js' : '—',
    met: k === 'gzip' ? ms.gzip < GOAL && ms.gzip < an.gzip / 10 : null,
  }))
  // The runner: not on every page; the core loads it on a page with a landing to decide or a capture to send.
  const runner = sizesOf(readFileSync(path.join(root, 'dist/mailstitch-runner.min.js')))
  rows.push({
    n: 1,
    figure: 'Size, gzip (dist/mailstitch-runner.min.js: only on a page with a landing or a capture)',
    mailstitch: `${kb(runner.gzip)} (${distance(runner.gzip, RUNNER_BUDGET)} its ${kb(RUNNER_BUDGET)} budget); core + runner ${kb(ms.gzip + runner.gzip)}`,
    baseline: base('gzip'),
    ratio: `${ratio(ms.gzip + runner.gzip, an.gzip)} of analytics.js (both files)`,
    goal: `— (CI budget ${kb(RUNNER_BUDGET)})`,
    met: null,
  })
  // js-cookie: in the runner only (the one file that writes cookies); the core reads by hand.
  const cookie = await jsCookieCost(root)
  rows.push({
    n: 1,
    figure: 'Size, gzip: what js-cookie costs (in the runner only; the core has none of it)',
    mailstitch: `+${cookie.withIt - cookie.without} B gzip in the runner (esbuild: ${cookie.withIt} B with js-cookie, ${cookie.without} B with a hand-written writer); +0 B in the core`,
    baseline: `js-cookie alone ${kb(jc.gzip)}`,
    ratio: `${ratio(cookie.withIt - cookie.without, jc.gzip)} of js-cookie alone`,
    goal: '— (context)',
    met: null,
  })
  return {
    rows,
    notes: [
      `Size: mailstitch ${ms.min} B minified, ${ms.gzip} B gzip -9, ${ms.brotli} B brotli q11 (cookies read by hand in src/browser/core/cookie.ts; written with js-cookie by the runner). ` +
        `Distance in gzip bytes: ${ms.gzip - GOAL} B to the 3 KB goal, ${ms.gzip - BUDGET} B to the 4 KB budget (negative: under). ` +
        `js-cookie ${jc.min} / ${jc.gzip} / ${jc.brotli} B (dist/js.cookie.min.js). analytics-next ${anVersion} standalone.js ` +
        `${an.min} / ${an.gzip} / ${an.brotli} B; that is only its entry file, the chunks it lazy-loads come on top (see the start-up notes). ` +
        `The runner (dist/mailstitch-runner.min.js: landing decision, job runner, Klaviyo client, outbox upgrade, js-cookie) is ${runner.min} / ${runner.gzip} / ${runner.brotli} B; ` +
        `a page view without a landing, a capture or a consent withdrawal never loads it. js-cookie adds ${cookie.withIt - cookie.without} B gzip to it ` +
        `(the runner's entry bundled by esbuild twice, with js-cookie and with a hand-written writer of the same calls).`,
    ],
  }
}
