// Bundle budget: CI fails when dist/mailstitch.min.js grows past it (min + gzip).
import { readFileSync } from 'node:fs'
import { gzipSync, brotliCompressSync } from 'node:zlib'

export const BUDGET_GZIP = 4096
const file = 'dist/mailstitch.min.js'
const src = readFileSync(file)
const gz = gzipSync(src, { level: 9 }).length
const br = brotliCompressSync(src).length
const ok = gz <= BUDGET_GZIP
console.log(`${file}: ${src.length} B min, ${gz} B gzip, ${br} B brotli; budget ${BUDGET_GZIP} B gzip: ${ok ? 'ok' : 'OVER'}`)
if (!ok) process.exit(1)
