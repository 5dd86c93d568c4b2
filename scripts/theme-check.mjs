#!/usr/bin/env node
// Shopify's theme linter (@shopify/theme-check-node, default configuration: the checker picks
// its theme-app-extension preset for a folder holding a *.extension.toml) over the example
// theme and the app extension, after the documented asset-copy step (examples/shopify
// `npm run assets`, which needs dist/: run `npm run build` first). Exit 1 on any error.
//   node scripts/theme-check.mjs            errors fail; warnings are printed
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { themeCheckRun } from '@shopify/theme-check-node'

const roots = ['examples/shopify/theme', 'examples/shopify/extensions/mailstitch']
const severity = ['error', 'warning', 'info']

const copied = spawnSync('node', ['examples/shopify/scripts/copy-assets.mjs'], { stdio: 'inherit' })
if (copied.status !== 0) process.exit(1)

let errors = 0
for (const root of roots) {
  // The checker finds nothing under a relative root: it wants an absolute path.
  const { offenses } = await themeCheckRun(resolve(root), undefined, () => {})
  for (const o of offenses) {
    if (o.severity === 0) errors++
    const where = o.uri.replace(/^file:\/\//, '').replace(process.cwd() + '/', '')
    console.log(`${severity[o.severity] ?? o.severity} ${o.check} ${where}:${o.start.line + 1}: ${o.message}`)
  }
  console.log(`theme-check ${root}: ${offenses.filter((o) => o.severity === 0).length} errors, ${offenses.length} offenses`)
}
process.exit(errors ? 1 : 0)
