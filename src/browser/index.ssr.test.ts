// createMailstitch during server-side rendering (Next.js, Remix, Nuxt render modules run in
// Node): the built ESM and CJS entries, each in a plain Node process of its own, must neither
// throw nor touch a global. Runs against dist/ (npm run build first; a missing build fails).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '../..')

/** The program each process runs: `load` is how it gets the entry (import or require). */
const program = (load: string) => `
const globalsBefore = Object.getOwnPropertyNames(globalThis).sort().join()
;(async () => {
  const { createMailstitch } = ${load}
  const s = createMailstitch({ klaviyo: { companyId: 'AbC123', listId: 'L1' }, forms: 'auto', consent: 'shopify' })
  const again = createMailstitch()
  const results = [await s.capture('ada@example.com', { subscribe: true }), await again.capture('not-an-email')]
  await s.ready()
  const linkParams = s.linkParams()
  s.destroy()
  again.destroy()
  const touched = Object.getOwnPropertyNames(globalThis).sort().join() !== globalsBefore
  console.log(JSON.stringify({ results, linkParams, touched }))
})().catch((e) => { console.log(JSON.stringify({ threw: String(e) })); process.exit(1) })
`

function runNode(file: string, load: string): unknown {
  const entry = resolve(ROOT, 'dist', file)
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`)
  const out = execFileSync(process.execPath, ['--input-type=' + (file.endsWith('.mjs') ? 'module' : 'commonjs'), '-e', program(load.replace('ENTRY', JSON.stringify(entry)))], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

describe('createMailstitch outside a browser (SSR)', () => {
  const inert = { results: [{ ok: false, reason: 'no_analytics' }, { ok: false, reason: 'no_analytics' }], linkParams: {}, touched: false }

  it('ESM entry (dist/index.mjs): an inert instance, no throw, no global touched', () => {
    expect(runNode('index.mjs', 'await import(ENTRY)')).toEqual(inert)
  })

  it('CJS entry (dist/index.cjs): the same', () => {
    expect(runNode('index.cjs', 'require(ENTRY)')).toEqual(inert)
  })
})
