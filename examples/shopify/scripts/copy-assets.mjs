#!/usr/bin/env node
// Copy the three browser scripts from mailstitch's dist/ into the theme app extension's assets/
// and into the example theme's assets/ (the classic snippet install).
//
//   node scripts/copy-assets.mjs                                # from this repository's dist/
//   node scripts/copy-assets.mjs node_modules/mailstitch/dist   # from an npm install
//
// Each file is written to a temporary name and renamed, so a server reading the assets never
// sees half a file.
import { copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(dirname(fileURLToPath(import.meta.url)))
const from = resolve(process.argv[2] || join(here, '../../dist'))
// mailstitch.min.js loads mailstitch-runner.min.js from beside itself, so both go to the same assets/.
const files = ['mailstitch.min.js', 'mailstitch-runner.min.js', 'mailstitch-shopify.min.js']
if (!existsSync(join(from, 'snippet.mjs'))) {
  console.error(`copy-assets: ${join(from, 'snippet.mjs')} is missing; build the package first (npm run build in the repository root)`)
  process.exit(1)
}
const targets = [join(here, 'extensions/mailstitch/assets'), join(here, 'theme/assets')]

for (const f of files) {
  if (!existsSync(join(from, f))) {
    console.error(`copy-assets: ${join(from, f)} is missing; build the package first (npm run build in the repository root)`)
    process.exit(1)
  }
}
for (const dir of targets) {
  mkdirSync(dir, { recursive: true })
  for (const f of files) {
    const tmp = join(dir, `.${f}.${process.pid}.tmp`)
    copyFileSync(join(from, f), tmp)
    renameSync(tmp, join(dir, f))
  }
}
// The inline snippet's function (mailstitch/snippet) as a Liquid snippet, rendered inline by the
// app embed and by snippets/mailstitch.liquid with the store's options: {% raw %} so Liquid never
// reads the minified JavaScript as its own tags. A page carries only the parts its consent option
// needs (snippetFunction): `{% render 'mailstitch-inline', consent: ms_consent %}` picks the text.
const { snippetFunction } = await import(pathToFileURL(join(from, 'snippet.mjs')).href)
const raw = (text) => `{%- raw -%}${text}{% endraw -%}`
const inline = [
  '{%- comment -%}Written by scripts/copy-assets.mjs from mailstitch/snippet (never edit it here). Parameter: consent (blank, shopify, or the name of a consent function).{%- endcomment -%}',
  `{%- if consent == blank -%}${raw(snippetFunction())}`,
  `{%- elsif consent == 'shopify' -%}${raw(snippetFunction({ consent: 'shopify' }))}`,
  // Any other value names a consent function (the classic snippet's `consent` parameter).
  `{%- else -%}${raw(snippetFunction({ consent: 'function' }))}`,
  '{%- endif -%}',
  '',
].join('\n')
for (const dir of targets.map((t) => join(t, '../snippets'))) {
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.mailstitch-inline.liquid.${process.pid}.tmp`)
  writeFileSync(tmp, inline)
  renameSync(tmp, join(dir, 'mailstitch-inline.liquid'))
}
console.log(`copy-assets: ${files.join(', ')} → ${targets.map((t) => t.slice(here.length + 1)).join(', ')}; snippets/mailstitch-inline.liquid`)
