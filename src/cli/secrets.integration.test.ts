/**
 * Credentials written into a configured URL (KLAVIYO_API_BASE, SEGMENT_API_HOST) or its query are
 * never printed: not in errors, not in `relay check`, not in log lines.
 */
import { describe, expect, it } from 'vitest'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'
import { createRelay } from '../relay/relay'
import { main, type CliIO } from './main'

const PK = 'pk_secrets'
const WK = 'wkSecrets0123456789'
const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
const tmp = useTempDir('mst-secrets-')

async function run(args: string[], env: Record<string, string>) {
  const out: string[] = []
  const cli: CliIO = {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    env: { KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, ...env },
    onSignal: () => undefined,
    offSignal: () => undefined,
    exit: (code) => {
      throw new Error(`exit ${code}`)
    },
  }
  const code = await main(['relay', ...args], cli)
  return { code, text: out.join('\n') }
}

const withCredentials = (url: string, user: string, pass: string) => url.replace('://', `://${user}:${pass}@`)

function seedEvent() {
  const store = sandbox.klaviyo.store
  const ada = store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: 'anon-ada' } }).profile
  store.recordEvent({ metricName: 'Opened Email', profileId: ada.id, time: new Date(Date.now() - 60_000), properties: { $message: 'M1', Subject: 'Hi' } })
}

const SECRET_TEXT = /PASS\d|kuser|suser/

describe('secrets in configured URLs are never printed', () => {
  it.each([
    ['with user:pass (reachable host)', () => withCredentials(sandbox.klaviyo.url, 'kuser', 'KPASS1')],
    ['with user:pass (unreachable host)', () => 'http://kuser:KPASS2@127.0.0.1:9'],
    ['with an api_key query', () => `${sandbox.klaviyo.url}/?api_key=KPASS3`],
  ])('KLAVIYO_API_BASE %s: poll and check print no credential', async (_label, base) => {
    seedEvent()
    const env = { KLAVIYO_API_BASE: base(), SEGMENT_API_HOST: sandbox.segment.url }
    const poll = await run(['poll', '--once', '--state', tmp.file('state.json')], env)
    const check = await run(['check'], env)
    for (const r of [poll, check]) expect(r.text).not.toMatch(SECRET_TEXT)
    expect(check.text).toMatch(/\*\*\*/)
  })

  it.each([
    ['with user:pass (reachable host)', () => withCredentials(sandbox.segment.url, 'suser', 'SPASS1')],
    ['with user:pass (unreachable host)', () => 'http://suser:SPASS2@127.0.0.1:9'],
    ['with an api_key query', () => 'http://127.0.0.1:9/?api_key=SPASS3'],
  ])('SEGMENT_API_HOST %s: check, and a poll that cannot deliver, print no credential', async (_label, host) => {
    seedEvent()
    const check = await run(['check'], { KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: host() })
    expect(check.text).not.toMatch(SECRET_TEXT)
    expect(check.text).toMatch(/segment\.reachable: .*\*\*\*/)
    const lines: string[] = []
    const relay = createRelay({
      klaviyoPrivateKey: PK,
      segmentWriteKey: WK,
      klaviyoApiBase: sandbox.klaviyo.url,
      segmentApiHost: host(),
      statePath: tmp.file('state.json'),
      segment: { maxRetries: 0, timeoutMs: 2_000 },
      log: (line) => lines.push(line),
    })
    try {
      const err = await relay.pollOnce().then(
        () => new Error('the poll should have failed'),
        (e: unknown) => e as Error,
      )
      expect(err.message).toMatch(/Segment/)
      expect(`${err.message}\n${String(err.stack)}\n${lines.join('\n')}`).not.toMatch(SECRET_TEXT)
    } finally {
      await relay.stop()
    }
  })
})
