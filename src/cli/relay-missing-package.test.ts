// `mailstitch relay` installed without its optional peer dependency klaviyo-api (the browser-SDK
// install): the poll and the check say which package to install; serve does not need it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { main, type CliIO } from './main'

vi.mock('../relay/klaviyo-sdk', async (importOriginal) => {
  const real = await importOriginal<typeof import('../relay/klaviyo-sdk')>()
  // Node's own error for an import of a package that is not installed.
  const missing = () => Promise.reject(Object.assign(new Error(`Cannot find package 'klaviyo-api' imported from ${import.meta.url}`), { code: 'ERR_MODULE_NOT_FOUND' }))
  return { ...real, loadKlaviyoSdk: () => real.loadKlaviyoSdk(missing) }
})

const dir = mkdtempSync(join(tmpdir(), 'mailstitch-missing-sdk-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(args: string[], env: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), env, onSignal: () => undefined, offSignal: () => undefined, exit: (c) => { throw new Error(`exit ${c}`) } }
  const code = await main(['relay', ...args], io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

// Keys are set, and the hosts are closed ports: nothing may be reached before the package is missed.
const env = { KLAVIYO_PRIVATE_KEY: 'pk_test', SEGMENT_WRITE_KEY: 'wk_test_0123456789abcdef', KLAVIYO_API_BASE: 'http://127.0.0.1:9', SEGMENT_API_HOST: 'http://127.0.0.1:9' }

describe('relay without klaviyo-api installed', () => {
  it('relay poll exits 2 naming the package and the command that installs it', async () => {
    const r = await run(['poll', '--once', '--state', join(dir, 'state.json')], env)
    expect(r.code).toBe(2)
    expect(r.err).toBe('mailstitch relay: the package klaviyo-api (the Klaviyo API client that relay poll and relay check use) is not installed: it is an optional peer dependency of mailstitch. Install it beside mailstitch: npm install klaviyo-api@23')
    expect(r.out).toBe('')
  })

  it('relay poll --follow stops the same way at once', async () => {
    const r = await run(['poll', '--follow', '--state', join(dir, 'follow.json')], env)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/npm install klaviyo-api@23$/)
  })

  it('relay check reports it as a failed line with exit code 2', async () => {
    const r = await run(['check'], env)
    expect(r.code).toBe(2)
    expect(r.out).toMatch(/^FAIL klaviyo\.client: the package klaviyo-api .*npm install klaviyo-api@23$/m)
  })

  it('a missing key is still reported first (the package is only needed once the keys are there)', async () => {
    const r = await run(['poll', '--once', '--state', join(dir, 'nokey.json')], { SEGMENT_WRITE_KEY: env.SEGMENT_WRITE_KEY })
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/KLAVIYO_PRIVATE_KEY is not set/)
  })
})
