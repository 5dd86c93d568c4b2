// The import graph of a source folder (issue 19): every relative import, whether of values, of
// types only, or dynamic (`import('./x')`), as TypeScript's pre-processor reads it. A circle is a
// missing module, so `npm test` fails on one (import-graph.test.ts), and on the core importing
// the runner: what runs at once never reaches what loads later (src/browser/core → runner).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** File (relative to the root) → the files it imports (relative to the root). */
export type ImportGraph = Map<string, string[]>

function sourceFilesUnder(root: string, folder: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(path.join(root, folder))) {
    const rel = path.join(folder, name)
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sourceFilesUnder(root, rel))
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(rel)
  }
  return out
}

/** The file a relative specifier names (`./x` → `x.ts` or `x/index.ts`); undefined when it is no source file here. */
function resolveSpecifier(from: string, specifier: string, known: Set<string>): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), specifier))
  for (const candidate of [base, base + '.ts', path.join(base, 'index.ts')]) {
    if (known.has(candidate)) return candidate
  }
  return undefined
}

/**
 * The graph of the given folders' source files (tests left out), read from the disk, or from
 * `source` and `list` (the files of a folder) when given.
 */
export function importGraph(
  root: string,
  folders: string[],
  source = (file: string) => readFileSync(path.join(root, file), 'utf8'),
  list = (folder: string) => sourceFilesUnder(root, folder),
): ImportGraph {
  const files = folders.flatMap(list)
  const known = new Set(files)
  const graph: ImportGraph = new Map()
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(source(file), true, true)
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveSpecifier(file, specifier, known))
      .filter((target): target is string => target !== undefined)
    graph.set(file, [...new Set(targets)])
  }
  return graph
}

/** Every circle in the graph, each as the list of files around it (first file repeated at the end). */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = []
  const seen = new Set<string>()
  const done = new Set<string>()
  const stack: string[] = []
  const visit = (file: string) => {
    seen.add(file)
    stack.push(file)
    for (const target of graph.get(file) ?? []) {
      if (!seen.has(target)) visit(target)
      else if (!done.has(target)) cycles.push([...stack.slice(stack.indexOf(target)), target])
    }
    stack.pop()
    done.add(file)
  }
  for (const file of [...graph.keys()].sort()) if (!seen.has(file)) visit(file)
  return cycles
}

/** Imports from files under `from` into files under `to` (`file → target`). */
export function importsAcross(graph: ImportGraph, from: string, to: string): string[] {
  const inside = (file: string, folder: string) => file.startsWith(folder + path.sep)
  const found: string[] = []
  for (const [file, targets] of graph) {
    if (!inside(file, from)) continue
    for (const target of targets) if (inside(target, to)) found.push(`${file} → ${target}`)
  }
  return found
}

/** The packages (bare specifiers) a file imports. */
export function packagesImportedBy(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return importedFiles.map((imported) => imported.fileName).filter((specifier) => !specifier.startsWith('.'))
}
