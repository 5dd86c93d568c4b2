// `mailstitch relay poll` and its progress line: shown through CliIO.status (given only when
// stderr is a terminal), never in CI/cron/pipes, against the sandbox Klaviyo emulator and Segment
// collector. Time is faked (Date only; the network is real): each event Segment accepts moves the
// clock 400 ms on, so a five-page poll is a "long" one.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'
import { main, type CliIO } from './main'

const PK = 'pk_test'
const WK = 'wk_test_0123456789abcdef'
const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
const tmp = useTempDir('mst-cli-progress-')
afterEach(() => vi.useRealTimers())

function seed(events: number): void {
  const store = sandbox.klaviyo.store
  const { profile } = store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: 'anon-ada' } })
  store.ensureMetric('Opened Email', 'klaviyo')
  for (let i = 0; i < events; i++) store.recordEvent({ metricName: 'Opened Email', profileId: profile.id, time: new Date(Date.now() - (300 - i) * 1000), properties: { $message: 'M1', Subject: 'Hi' } })
}

async function poll(withStatus: boolean) {
  const out: string[] = []
  const err: string[] = []
  const status: string[] = []
  const io: CliIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: sandbox.segment.url },
    onSignal: () => undefined,
    offSignal: () => undefined,
    exit: (c) => {
      throw new Error(`exit ${c}`)
    },
    ...(withStatus ? { status: (l: string) => void status.push(l) } : {}),
  }
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
  const off = sandbox.segment.subscribe(() => vi.setSystemTime(Date.now() + 400))
  try {
    const code = await main(['relay', 'poll', '--once', '--page-size', '1', '--state', tmp.file(`state-${withStatus}.json`)], io)
    return { code, out, err, status }
  } finally {
    off()
  }
}

describe('relay poll progress', () => {
  it('on a terminal: a progress line with events, rate and cursor, cleared before the summary', async () => {
    seed(5)
    const r = await poll(true)
    expect(r.code).toBe(0)
    expect(r.out).toEqual(['fetched 5, sent 5, skipped 0'])
    expect(r.status.length).toBeGreaterThan(1)
    expect(r.status[0]).toMatch(/^relay: [345] events read \([345] sent, 0 skipped\) · [\d,]+ events\/s · Opened Email up to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(r.status.at(-1)).toBe('') // cleared: the summary line stands alone
  })

  it('without a terminal (CI, cron, a pipe): only the summary', async () => {
    seed(5)
    const r = await poll(false)
    expect(r.code).toBe(0)
    expect(r.out).toEqual(['fetched 5, sent 5, skipped 0']) // the positive signal: the poll ran and reported
    expect(r.err).toEqual([])
    expect(r.status).toEqual([])
  })
})
