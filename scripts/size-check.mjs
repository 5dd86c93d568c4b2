// Bundle budget: CI fails when dist/mailstitch.min.js (the core, on every page) or the runner it
// loads on a page with a landing, a capture or a consent withdrawal (dist/mailstitch-runner.min.js)
// grows past its budget. The runner's is larger since it carries js-cookie (the one writer of
// cookies, issue 19: ~0.5 KB gzip, bench row 1), which the core's budget could not take.
import { readFileSync } from 'node:fs'
import { gzipSync, brotliCompressSync } from 'node:zlib'

import { BUDGET_GZIP, RUNNER_BUDGET_GZIP, SNIPPET_BUDGET } from './budgets.mjs'

let over = false
/** gzip sizes measured here, by file (the docs' quotes are checked against them below). */
const gzipOf = {}
for (const [file, budget] of [['dist/mailstitch.min.js', BUDGET_GZIP], ['dist/mailstitch-runner.min.js', RUNNER_BUDGET_GZIP], ['dist/mailstitch-shopify.min.js', undefined]]) {
  const src = readFileSync(file)
  const gz = gzipSync(src, { level: 9 }).length
  const br = brotliCompressSync(src).length
  gzipOf[file] = gz
  if (budget === undefined) {
    console.log(`${file}: ${src.length} B min, ${gz} B gzip, ${br} B brotli (only in Shopify themes; no budget)`)
    continue
  }
  const ok = gz <= budget
  if (!ok) over = true
  console.log(`${file}: ${src.length} B min, ${gz} B gzip, ${br} B brotli; budget ${budget} B gzip: ${ok ? 'ok' : 'OVER'}`)
}
// The inline snippet is in every page's HTML, rendered here for a typical install and as the
// Shopify app embed renders it (budgets.mjs).
const { snippet } = await import('../dist/snippet.mjs')
const typical = 'inline snippet (mailstitch/snippet), typical install'
const shopify = "inline snippet, Shopify app embed (consent 'shopify')"
const snippets = [
  [typical, { src: 'https://cdn.jsdelivr.net/npm/mailstitch@0.2.0/dist/mailstitch.min.js', klaviyoCompanyId: 'AbC123', klaviyoListId: 'XyZ789' }, SNIPPET_BUDGET],
  [shopify, { src: '//harbor-and-loom.myshopify.com/cdn/shop/t/12/assets/mailstitch.min.js?v=1712345678', klaviyoCompanyId: 'AbC123', consent: 'shopify' }, SNIPPET_BUDGET],
]
const snippetLength = {}
for (const [what, options, budget] of snippets) {
  const rendered = snippet(options)
  snippetLength[what] = rendered.length
  const ok = rendered.length <= budget
  if (!ok) over = true
  console.log(`${what}: ${rendered.length} B min, ${gzipSync(rendered, { level: 9 }).length} B gzip; budget ${budget} B min: ${ok ? 'ok' : 'OVER'}`)
}

// The sizes the docs quote come from here (issue 23: every number from the tool that measures
// it): each quote must say what was just measured, as KB of 1,024 B with one decimal.
const kb = (bytes) => (bytes / 1024).toFixed(1)
const quotes = [
  ['README.md', /an inline snippet of ([\d.]+) KB/, snippetLength[typical], 'the inline snippet, minified'],
  ['README.md', /plus a ([\d.]+) KB gzip file/, gzipOf['dist/mailstitch.min.js'], 'mailstitch.min.js, gzip'],
  ['docs/install.md', /([\d.]+) KB gzip on every page/, gzipOf['dist/mailstitch.min.js'], 'mailstitch.min.js, gzip'],
  ['docs/install.md', /plus ([\d.]+) KB gzip on a page with a landing or a capture/, gzipOf['dist/mailstitch-runner.min.js'], 'mailstitch-runner.min.js, gzip'],
  ['docs/shopify.md', /`npm run assets`; ≈([\d.]+) KB\)/, snippetLength[shopify], "the inline snippet as the app embed renders it (consent 'shopify'), minified"],
  ['docs/shopify.md', /`mailstitch.min.js` \(≈([\d.]+) KB gzip\)/, gzipOf['dist/mailstitch.min.js'], 'mailstitch.min.js, gzip'],
  ['docs/shopify.md', /`mailstitch-runner.min.js` \(≈([\d.]+) KB gzip/, gzipOf['dist/mailstitch-runner.min.js'], 'mailstitch-runner.min.js, gzip'],
  ['docs/shopify.md', /`mailstitch-shopify.min.js` \(≈([\d.]+) KB gzip\)/, gzipOf['dist/mailstitch-shopify.min.js'], 'mailstitch-shopify.min.js, gzip'],
]
for (const [doc, pattern, bytes, what] of quotes) {
  const quoted = pattern.exec(readFileSync(doc, 'utf8'))?.[1]
  if (quoted === kb(bytes)) continue
  over = true
  console.log(`${doc}: quotes ${quoted === undefined ? 'nothing (the sentence changed?)' : `${quoted} KB`} for ${what}; measured ${bytes} B = ${kb(bytes)} KB: update the doc`)
}
if (over) process.exit(1)
