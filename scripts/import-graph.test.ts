import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findCycles, importGraph, importsAcross, packagesImportedBy } from './import-graph'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

describe('import graph', () => {
  it('finds a circle through a type-only or a dynamic import, and none in a line', () => {
    const files: Record<string, string> = {
      'x/a.ts': "import { b } from './b'",
      'x/b.ts': "import type { C } from './c'",
      'x/c.ts': "export const load = () => import('./a')",
      'y/d.ts': "import { e } from './e'",
      'y/e.ts': 'export const e = 1',
    }
    // The same parsing as on disk, over these texts.
    const names = Object.keys(files)
    const graph = importGraph('/', ['x', 'y'], (file) => files[file]!, (folder) => names.filter((name) => path.dirname(name) === folder))
    expect(findCycles(graph)).toEqual([['x/a.ts', 'x/b.ts', 'x/c.ts', 'x/a.ts']])
    expect(importsAcross(graph, 'x', 'y')).toEqual([])
  })

  it('src/browser and src/shopify have no import circle', () => {
    expect(findCycles(importGraph(ROOT, ['src/browser', 'src/shopify']))).toEqual([])
  })

  it('js-cookie is imported only where cookies are written (the runner’s state-cookie.ts), never by the core', () => {
    const files = [...importGraph(ROOT, ['src/browser', 'src/shopify']).keys()]
    const importers = files.filter((file) => packagesImportedBy(path.join(ROOT, file)).includes('js-cookie'))
    expect(importers).toEqual(['src/browser/runner/state-cookie.ts'])
  })

  it('the core (what runs at once) never imports the runner (what loads later)', () => {
    const graph = importGraph(ROOT, ['src/browser'])
    expect(graph.size).toBeGreaterThan(20)
    expect(importsAcross(graph, 'src/browser/core', 'src/browser/runner')).toEqual([])
  })
})
