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

describe('runtime configurations', () => {
  it('cover every source folder of src/ exactly once, and the root one comes last', () => {
    const folders = RUNTIME_CONFIGS.flatMap((r) => r.folders).sort()
    expect(folders).toEqual([...new Set(folders)])
    expect(folders).toEqual(['src/browser', 'src/cli', 'src/journey', 'src/relay', 'src/shared', 'src/shopify', 'src/webhook'])
    for (const c of ALL_CONFIGS) expect(existsSync(path.join(ROOT, c)), c).toBe(true)
    expect(ALL_CONFIGS.at(-1)).toBe('tsconfig.json')
  })

  it('node (relay, CLI): Node globals compile, a relay file touching window does not', () => {
    const r = compile(config('node'), {
      'src/relay/probe-node.ts': "import { createHash } from 'node:crypto'\nexport const h = createHash('sha256').update(process.env.HOME ?? '').digest('hex')",
      'src/relay/probe-window.ts': 'export const href: string = window.location.href',
      'src/cli/probe-document.ts': "export const el = document.createElement('div')",
    })
    expect(r['src/relay/probe-node.ts']).toEqual([])
    expect(r['src/relay/probe-window.ts'].join()).toMatch(/Cannot find name 'window'/)
    expect(r['src/cli/probe-document.ts'].join()).toMatch(/Cannot find name 'document'/)
  })

  it('browser (SDK, Shopify add-on): DOM compiles, a browser file touching process or Buffer does not', () => {
    const r = compile(config('browser'), {
      'src/browser/probe-dom.ts': "export const title: string = document.title + window.location.href + new URL('https://x.example/').host",
      'src/browser/probe-process.ts': 'export const env = process.env.NODE_ENV',
      'src/shopify/probe-buffer.ts': "export const b = Buffer.from('x')",
    })
    expect(r['src/browser/probe-dom.ts']).toEqual([])
    expect(r['src/browser/probe-process.ts'].join()).toMatch(/Cannot find name 'process'/)
    expect(r['src/shopify/probe-buffer.ts'].join()).toMatch(/Cannot find name 'Buffer'/)
  })

  it('shared and journey: ES and URL compile, neither DOM nor Node globals do', () => {
    const r = compile(config('shared'), {
      'src/shared/probe-url.ts': "export const a = new URL('https://x.example/?a=1').searchParams.get('a') ?? new URLSearchParams('b=2').get('b')",
      'src/journey/probe-window.ts': 'export const w = window.location.href',
      'src/shared/probe-process.ts': 'export const p = process.env.HOME',
      'src/shared/probe-fetch.ts': "export const f = fetch('https://x.example/')",
    })
    expect(r['src/shared/probe-url.ts']).toEqual([])
    expect(r['src/journey/probe-window.ts'].join()).toMatch(/Cannot find name 'window'/)
    expect(r['src/shared/probe-process.ts'].join()).toMatch(/Cannot find name 'process'/)
    expect(r['src/shared/probe-fetch.ts'].join()).toMatch(/Cannot find name 'fetch'/)
  })

  it('webhook core: fetch, Request/Response, crypto.subtle and TextEncoder compile; DOM and Node do not', () => {
    const r = compile(config('webhook'), {
      'src/webhook/probe-web.ts': [
        'export async function handle(request: Request): Promise<Response> {',
        "  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])",
        "  const sig = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(await request.text()))",
        "  await fetch('https://api.segment.io/v1/batch', { method: 'POST', body: JSON.stringify({ n: sig.byteLength }) })",
        "  return new Response(null, { status: 204, headers: new Headers({ 'x-a': '1' }) })",
        '}',
      ].join('\n'),
      'src/webhook/probe-document.ts': 'export const d = document.title',
      'src/webhook/probe-process.ts': 'export const p = process.env.HOME',
      'src/webhook/probe-buffer.ts': "export const b = Buffer.from('x')",
    })
    expect(r['src/webhook/probe-web.ts']).toEqual([])
    expect(r['src/webhook/probe-document.ts'].join()).toMatch(/Cannot find name 'document'/)
    expect(r['src/webhook/probe-process.ts'].join()).toMatch(/Cannot find name 'process'/)
    expect(r['src/webhook/probe-buffer.ts'].join()).toMatch(/Cannot find name 'Buffer'/)
  })
})
