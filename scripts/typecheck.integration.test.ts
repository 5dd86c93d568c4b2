import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { ALL_CONFIGS, RUNTIME_CONFIGS } from './typecheck'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Compile virtual files (path relative to the root → source) under a configuration, as if they
 * sat in that runtime's folder; returns each file's error messages.
 */
function compile(config: string, files: Record<string, string>): Record<string, string[]> {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, config), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    },
  })
  if (!parsed) throw new Error(`cannot read ${config}`)
  const virtual = new Map(Object.entries(files).map(([rel, code]) => [path.join(ROOT, rel), code]))
  const host = ts.createCompilerHost(parsed.options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, lang, onError, create) => {
    const code = virtual.get(path.resolve(name))
    return code !== undefined ? ts.createSourceFile(name, code, lang) : getSourceFile(name, lang, onError, create)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => virtual.has(path.resolve(name)) || fileExists(name)
  // The configuration's own declaration files (e.g. the WHATWG URL of the pure-ES runtime) come along.
  const roots = [...virtual.keys(), ...parsed.fileNames.filter((f) => f.endsWith('.d.ts'))]
  const program = ts.createProgram(roots, parsed.options, host)
  const out: Record<string, string[]> = {}
  for (const [rel] of Object.entries(files)) {
    const sf = program.getSourceFile(path.join(ROOT, rel))
    out[rel] = ts.getPreEmitDiagnostics(program, sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))
  }
  return out
}

const config = (name: string) => RUNTIME_CONFIGS.find((r) => r.name === name)!.config

/** Per runtime: code that must compile there, and code using a global it does not have (with that global's name). */
const PROBES: Array<{ runtime: string; folder: string; compiles: string; lacks: Record<string, string> }> = [
  {
    runtime: 'node',
    folder: 'src/relay',
    compiles: "import { createHash } from 'node:crypto'\nexport const h = createHash('sha256').update(process.env.HOME ?? '').digest('hex')",
    lacks: { window: 'export const href: string = window.location.href', document: "export const el = document.createElement('div')" },
  },
  {
    runtime: 'browser',
    folder: 'src/browser',
    compiles: "export const title: string = document.title + window.location.href + new URL('https://x.example/').host",
    lacks: { process: 'export const env = process.env.NODE_ENV', Buffer: "export const b = Buffer.from('x')" },
  },
  {
    runtime: 'shared',
    folder: 'src/journey',
    compiles: "export const a = new URL('https://x.example/?a=1').searchParams.get('a') ?? new URLSearchParams('b=2').get('b')",
    lacks: { window: 'export const w = window.location.href', process: 'export const p = process.env.HOME', fetch: "export const f = fetch('https://x.example/')" },
  },
  {
    runtime: 'webhook',
    folder: 'src/webhook',
    compiles: [
      'export async function handle(request: Request): Promise<Response> {',
      "  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])",
      "  const sig = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(await request.text()))",
      "  await fetch('https://api.segment.io/v1/batch', { method: 'POST', body: JSON.stringify({ n: sig.byteLength }) })",
      "  return new Response(null, { status: 204, headers: new Headers({ 'x-a': '1' }) })",
      '}',
    ].join('\n'),
    lacks: { document: 'export const d = document.title', process: 'export const p = process.env.HOME', Buffer: "export const b = Buffer.from('x')" },
  },
]

describe('runtime configurations', () => {
  it('cover every source folder of src/ exactly once, and the root one comes last', () => {
    const folders = RUNTIME_CONFIGS.flatMap((r) => r.folders).sort()
    expect(folders).toEqual([...new Set(folders)])
    expect(folders).toEqual(['src/browser', 'src/cli', 'src/journey', 'src/relay', 'src/shared', 'src/shopify', 'src/snippet', 'src/webhook'])
    for (const c of ALL_CONFIGS) expect(existsSync(path.join(ROOT, c)), c).toBe(true)
    expect(ALL_CONFIGS.at(-1)).toBe('tsconfig.json')
  })

  for (const probe of PROBES) {
    it(`${probe.runtime}: its own globals compile in ${probe.folder}, ${Object.keys(probe.lacks).join(', ')} do not`, () => {
      const files: Record<string, string> = { [`${probe.folder}/probe-ok.ts`]: probe.compiles }
      for (const [name, code] of Object.entries(probe.lacks)) files[`${probe.folder}/probe-${name}.ts`] = code
      const errors = compile(config(probe.runtime), files)
      expect(errors[`${probe.folder}/probe-ok.ts`]).toEqual([])
      for (const name of Object.keys(probe.lacks)) expect(errors[`${probe.folder}/probe-${name}.ts`].join(' ')).toContain(`Cannot find name '${name}'`)
    })
  }

  it('the webhook core compiles under Node too (relay serve runs it)', () => {
    const webhook = PROBES.find((p) => p.runtime === 'webhook')!.compiles
    expect(compile(config('node'), { 'src/relay/probe-webhook.ts': webhook })['src/relay/probe-webhook.ts']).toEqual([])
  })

  it('a relay file that touches window does not compile (issue 13, "Done when")', () => {
    const errors = compile(config('node'), { 'src/relay/uses-window.ts': "export function here(): string {\n  return window.location.href\n}" })
    expect(errors['src/relay/uses-window.ts']).toEqual([expect.stringContaining("Cannot find name 'window'")])
  })
})
