#!/usr/bin/env node
// Print the mailstitch pixel as custom pixel code (Settings → Customer events → Add custom pixel),
// for stores without an app. Run from the repository root after `npm install` (needs esbuild):
//
//   node examples/shopify/scripts/build-custom-pixel.mjs --write-key <key> [--orders link] [--api-host https://events.eu1.segmentapis.com]
//
// Set the pixel's Permission to "Required" with Analytics and Marketing ticked.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'

const here = dirname(dirname(fileURLToPath(import.meta.url)))

/** The custom pixel code for these settings. */
export async function customPixelCode({ writeKey, orders = 'completed', apiHost = '' }) {
  if (!writeKey) throw new Error('--write-key is required')
  if (orders !== 'completed' && orders !== 'link') throw new Error('--orders is completed or link')
  const settings = { segmentWriteKey: writeKey, orders, ...(apiHost ? { segmentApiHost: apiHost } : {}) }
  const out = await build({
    entryPoints: [join(here, 'extensions/mailstitch-pixel/src/custom-pixel.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
    define: { MAILSTITCH_PIXEL_SETTINGS: JSON.stringify(settings) },
  })
  return `// mailstitch pixel: Order Completed / Order Linked to Segment on checkout_completed (docs/shopify.md)\n${out.outputFiles[0].text}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { 'write-key': { type: 'string' }, orders: { type: 'string' }, 'api-host': { type: 'string' } } })
  try {
    process.stdout.write(await customPixelCode({ writeKey: values['write-key'], orders: values.orders, apiHost: values['api-host'] }))
  } catch (error) {
    console.error(`build-custom-pixel: ${error.message}`)
    process.exit(1)
  }
}
