// createMailstitch during server-side rendering (Next.js, Remix, Nuxt render modules run in
// Node): the built ESM and CJS entries, each in a plain Node process of its own, must neither
// throw nor touch a global (none added, none removed, none given another value). Loaded both by
// their dist/ paths and by the package's own name, `mailstitch`, from a file inside the package:
// Node then resolves it through package.json "exports" (self-reference), the way an app's
// `import 'mailstitch'` does. Runs against dist/ (npm run build first; a missing build fails).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '../..')

/**
 * Every own property of globalThis (string and symbol keys) → its descriptor and, where it can be
 * read, its value. Taken twice before loading: Node's lazy globals replace their getter on the
 * first read, which is Node's doing, not ours.
 */
const SNAPSHOT = `
const snapshotGlobals = () => {
  const map = new Map()
  for (const key of Reflect.ownKeys(globalThis)) {
    const d = Object.getOwnPropertyDescriptor(globalThis, key)
    let value
    try { value = 'value' in d ? d.value : d.get?.call(globalThis) } catch { value = '(unreadable)' }
    map.set(key, [value, d.get, d.set, d.writable, d.enumerable, d.configurable])
  }
  return map
}
const globalsChangedSince = (before) => {
  const after = snapshotGlobals()
  const changed = []
  for (const [key, was] of before) {
    const now = after.get(key)
    if (!now) changed.push('removed ' + String(key))
    else if (was.some((part, i) => !Object.is(part, now[i]))) changed.push('changed ' + String(key))
  }
  for (const key of after.keys()) if (!before.has(key)) changed.push('added ' + String(key))
  return changed
}
snapshotGlobals()
const globalsBefore = snapshotGlobals()
`

/** The program each process runs: `load` gets the entry (import or require), `resolved` names the file it came from. */
const program = (load: string, resolved: string) => `${SNAPSHOT}
;(async () => {
  const { createMailstitch } = ${load}
  const s = createMailstitch({ klaviyo: { companyId: 'AbC123', listId: 'L1' }, forms: 'auto', consent: 'shopify' })
  const again = createMailstitch()
  const results = [await s.capture('ada@example.com', { subscribe: true }), await again.capture('not-an-email')]
  await s.ready()
  const linkParams = s.linkParams()
  s.destroy()
  again.destroy()
  const globalsChanged = globalsChangedSince(globalsBefore)
  console.log(JSON.stringify({ entry: ${resolved}, results, linkParams, globalsChanged }))
})().catch((e) => { console.log(JSON.stringify({ threw: String(e) })); process.exit(1) })
`

let scratch = ''

beforeAll(() => {
  for (const file of ['index.mjs', 'index.cjs']) {
    const entry = resolve(ROOT, 'dist', file)
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`)
  }
  // Inside the package (so `mailstitch` resolves to itself), in the git-ignored .scratch/.
  mkdirSync(join(ROOT, '.scratch'), { recursive: true })
  scratch = mkdtempSync(join(ROOT, '.scratch', 'ssr-'))
})

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** Run `source` as `name` in the scratch folder inside the package, in a Node process of its own. */
function runNode(name: string, source: string): unknown {
  const file = join(scratch, name)
  writeFileSync(file, source)
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8', cwd: scratch })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

const DIST_MJS = resolve(ROOT, 'dist', 'index.mjs')
const DIST_CJS = resolve(ROOT, 'dist', 'index.cjs')
const inert = { results: [{ ok: false, reason: 'no_analytics' }, { ok: false, reason: 'no_analytics' }], linkParams: {}, globalsChanged: [] }

describe('createMailstitch outside a browser (SSR)', () => {
  it("ESM, import('mailstitch'): resolved through exports to dist/index.mjs; an inert instance, no throw, no global touched", () => {
    const esm = program(`await import('mailstitch')`, `new URL(import.meta.resolve('mailstitch')).pathname`)
    expect(runNode('by-name.mjs', esm)).toEqual({ entry: DIST_MJS, ...inert })
  })

  it("CJS, require('mailstitch'): resolved through exports to dist/index.cjs; the same", () => {
    const cjs = program(`require('mailstitch')`, `require.resolve('mailstitch')`)
    expect(runNode('by-name.cjs', cjs)).toEqual({ entry: DIST_CJS, ...inert })
  })

  it('ESM entry by its path (dist/index.mjs): the same', () => {
    const esm = program(`await import(${JSON.stringify(DIST_MJS)})`, JSON.stringify(DIST_MJS))
    expect(runNode('by-path.mjs', esm)).toEqual({ entry: DIST_MJS, ...inert })
  })

  it('CJS entry by its path (dist/index.cjs): the same', () => {
    const cjs = program(`require(${JSON.stringify(DIST_CJS)})`, JSON.stringify(DIST_CJS))
    expect(runNode('by-path.cjs', cjs)).toEqual({ entry: DIST_CJS, ...inert })
  })
})
