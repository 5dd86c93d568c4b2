/**
 * Row 1: bytes on the wire. mailstitch's script-tag bundle beside js-cookie (what it would cost to
 * bundle it; src/browser/storage.ts does without) and analytics-next's standalone entry (what the Segment snippet loads first; it
 * lazy-loads further chunks, counted separately as the bytes a page actually fetched).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { kb, ratio, type Section } from './lib/stats'

const require = createRequire(import.meta.url)

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
    mailstitch: kb(ms[k]),
    baseline: base(k),
    ratio: `${ratio(ms[k], an[k])} of analytics.js`,
    goal: k === 'gzip' ? '< 3 KB and < 1/10 of analytics.js' : '—',
    met: k === 'gzip' ? ms.gzip < 3 * 1024 && ms.gzip < an.gzip / 10 : null,
  }))
  return {
    rows,
    notes: [
      `Size: mailstitch ${ms.min} B minified, ${ms.gzip} B gzip -9, ${ms.brotli} B brotli q11 (cookies by src/browser/storage.ts, not js-cookie: the measurement is beside that code). ` +
        `js-cookie ${jc.min} / ${jc.gzip} / ${jc.brotli} B (dist/js.cookie.min.js). analytics-next ${anVersion} standalone.js ` +
        `${an.min} / ${an.gzip} / ${an.brotli} B; that is only its entry file, the chunks it lazy-loads come on top (see the start-up notes).`,
    ],
  }
}
