/**
 * Row 1: bytes on the wire. mailstitch's script-tag bundle beside js-cookie (what it would cost to
 * bundle it; src/browser/cookie.ts does without) and analytics-next's standalone entry (what the
 * Segment snippet loads first; it lazy-loads further chunks, counted separately as the bytes a page
 * actually fetched), and the distance to the 3 KB goal and the 4 KB CI budget (scripts/size-check.mjs).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { kb, ratio, type Section } from './lib/stats'

const require = createRequire(import.meta.url)

/** The goal (issue 11) and the CI budget (scripts/size-check.mjs), gzip bytes. */
const GOAL = 3 * 1024
const BUDGET = 4096

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

export function benchSize(root: string): Section {
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
    mailstitch: `${kb(runner.gzip)} (${distance(runner.gzip, BUDGET)} its 4 KB budget); core + runner ${kb(ms.gzip + runner.gzip)}`,
    baseline: base('gzip'),
    ratio: `${ratio(ms.gzip + runner.gzip, an.gzip)} of analytics.js (both files)`,
    goal: '— (CI budget 4 KB)',
    met: null,
  })
  return {
    rows,
    notes: [
      `Size: mailstitch ${ms.min} B minified, ${ms.gzip} B gzip -9, ${ms.brotli} B brotli q11 (cookies by src/browser/cookie.ts, not js-cookie: the measurement is beside that code). ` +
        `Distance in gzip bytes: ${ms.gzip - GOAL} B to the 3 KB goal, ${ms.gzip - BUDGET} B to the 4 KB budget (negative: under). ` +
        `js-cookie ${jc.min} / ${jc.gzip} / ${jc.brotli} B (dist/js.cookie.min.js). analytics-next ${anVersion} standalone.js ` +
        `${an.min} / ${an.gzip} / ${an.brotli} B; that is only its entry file, the chunks it lazy-loads come on top (see the start-up notes). ` +
        `The runner (dist/mailstitch-runner.min.js: landing decision, job runner, Klaviyo client, outbox upgrade) is ${runner.min} / ${runner.gzip} / ${runner.brotli} B; ` +
        `a page view without a landing or a capture never loads it.`,
    ],
  }
}
