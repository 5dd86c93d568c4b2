// Bundle budget: CI fails when dist/mailstitch.min.js (the core, on every page) or the runner it
// loads on a page with a landing, a capture or a consent withdrawal (dist/mailstitch-runner.min.js)
// grows past its budget. The runner's is larger since it carries js-cookie (the one writer of
// cookies, issue 19: ~0.5 KB gzip, bench row 1), which the core's budget could not take.
import { readFileSync } from 'node:fs'
import { gzipSync, brotliCompressSync } from 'node:zlib'

export const BUDGET_GZIP = 4096
export const RUNNER_BUDGET_GZIP = 4608
let over = false
for (const [file, budget] of [['dist/mailstitch.min.js', BUDGET_GZIP], ['dist/mailstitch-runner.min.js', RUNNER_BUDGET_GZIP]]) {
  const src = readFileSync(file)
  const gz = gzipSync(src, { level: 9 }).length
  const br = brotliCompressSync(src).length
  const ok = gz <= budget
  if (!ok) over = true
  console.log(`${file}: ${src.length} B min, ${gz} B gzip, ${br} B brotli; budget ${budget} B gzip: ${ok ? 'ok' : 'OVER'}`)
}
if (over) process.exit(1)
