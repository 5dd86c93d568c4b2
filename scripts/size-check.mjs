// Bundle budget: CI fails when dist/mailstitch.min.js (the core, on every page) or the runner it
// loads on a page with a landing or a capture (dist/mailstitch-runner.min.js) grows past it.
import { readFileSync } from 'node:fs'
import { gzipSync, brotliCompressSync } from 'node:zlib'

export const BUDGET_GZIP = 4096
let over = false
for (const file of ['dist/mailstitch.min.js', 'dist/mailstitch-runner.min.js']) {
  const src = readFileSync(file)
  const gz = gzipSync(src, { level: 9 }).length
  const br = brotliCompressSync(src).length
  const ok = gz <= BUDGET_GZIP
  if (!ok) over = true
  console.log(`${file}: ${src.length} B min, ${gz} B gzip, ${br} B brotli; budget ${BUDGET_GZIP} B gzip: ${ok ? 'ok' : 'OVER'}`)
}
if (over) process.exit(1)
