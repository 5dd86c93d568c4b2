import { describe, expect, it, vi } from 'vitest'
import { startFakeServer } from '../../test/helpers/http'
import { commands, main, type CliIO } from './main'

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = []
  const err: string[] = []
  const handlers = new Map<string, (s: NodeJS.Signals) => void>()
  const cli: CliIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
    onSignal: (s, h) => handlers.set(s, h),
    offSignal: (s) => handlers.delete(s),
    exit: (code) => {
      throw new Error(`exit ${code}`)
    },
  }
  return { cli, out, err, handlers }
}

describe('mailstitch CLI dispatch', () => {
  it('lists the commands from the table', async () => {
    const t = io()
    expect(await main(['--help'], t.cli)).toBe(0)
    expect(t.out.join('\n')).toMatch(/relay\s+Move Klaviyo email events into Segment/)
    expect(Object.keys(commands)).toContain('relay')
  })

  it('exits 2 with usage for no or an unknown command', async () => {
    expect(await main([], io().cli)).toBe(2)
    const t = io()
    expect(await main(['frobnicate'], t.cli)).toBe(2)
    expect(t.err.join('\n')).toMatch(/unknown command "frobnicate"/)
  })

  it('prints the version', async () => {
    const t = io()
    expect(await main(['--version'], t.cli)).toBe(0)
    expect(t.out[0]).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('mailstitch relay arguments', () => {
  const run = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const t = io(env)
    const code = await main(['relay', ...args], t.cli)
    return { code, out: t.out.join('\n'), err: t.err.join('\n') }
  }

  it('has help for relay, poll and serve', async () => {
    expect(await run(['--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/poll\s+Read events/) })
    expect(await run(['poll', '--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/--once[\s\S]*--follow[\s\S]*--since[\s\S]*--interval[\s\S]*--state/) })
    expect(await run(['serve', '-h'])).toMatchObject({ code: 0, out: expect.stringMatching(/--port <n>.*8787/) })
    expect((await run([])).code).toBe(2)
  })

  it('rejects bad usage with exit code 2 and a reason', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['poll'], /exactly one of --once or --follow/],
      [['poll', '--once', '--follow'], /exactly one of --once or --follow/],
      [['poll', '--once', '--interval', '5'], /--interval only applies with --follow/],
      [['poll', '--follow', '--interval', 'soon'], /--interval: "soon" is not a number/],
      [['poll', '--follow', '--interval', '0'], /--interval: "0" is too short; give 1 second or more\./],
      [['poll', '--once', '--since', 'last tuesday'], /not an ISO time/],
      [['poll', '--once', '--since', '2999-01-01T00:00:00Z'], /in the future/],
      [['poll', '--once', '--nope'], /unknown option "--nope"\. See --help\./],
      [['poll', '--once', 'extra'], /unexpected argument "extra": this command takes only options/],
      [['poll', '--follow', '--redrive', '2026-01-01T00:00:00Z'], /--redrive only applies with --once/],
      [['poll', '--once', '--redrive', '2026-01-01T00:00:00Z', '--since', '2026-01-01T00:00:00Z'], /not both/],
      [['poll', '--once', '--redrive', 'yesterday'], /--redrive: "yesterday" is not an ISO time/],
      [['poll', '--once', '--page-size', '5000'], /--page-size: "5000" is not a whole number from 1 to 1000/],
      [['poll', '--once', '--region', 'mars'], /--region: "mars" is not a Segment region/],
      [['check', '--region', 'apac'], /--region: "apac" is not a Segment region/],
      [['serve', '--port', '99999'], /not a port number/],
      [['dance'], /unknown command "relay dance"/],
    ]
    for (const [args, msg] of cases) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err, args.join(' ')).toMatch(msg)
    }
  })

  it('has help for check, and refuses an unknown SEGMENT_REGION with exit 2', async () => {
    expect(await run(['check', '--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/source's Debugger[\s\S]*Exit codes: 0 usable/) })
    expect(await run(['poll', '--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/--redrive[\s\S]*24 hours[\s\S]*5 another poller/) })
    expect(await run(['poll', '--once'], { KLAVIYO_PRIVATE_KEY: 'pk', SEGMENT_WRITE_KEY: 'wk', SEGMENT_REGION: 'mars' })).toMatchObject({ code: 2, err: expect.stringMatching(/SEGMENT_REGION: "mars" is not a Segment region/) })
  })

  it('names the missing environment variable', async () => {
    expect(await run(['poll', '--once'], { SEGMENT_WRITE_KEY: 'wk' })).toMatchObject({ code: 2, err: expect.stringMatching(/KLAVIYO_PRIVATE_KEY is not set/) })
    expect(await run(['poll', '--once'], { KLAVIYO_PRIVATE_KEY: 'pk' })).toMatchObject({ code: 2, err: expect.stringMatching(/SEGMENT_WRITE_KEY is not set/) })
    expect(await run(['serve', '--port', '0'], { SEGMENT_WRITE_KEY: 'wk' })).toMatchObject({ code: 2, err: expect.stringMatching(/KLAVIYO_WEBHOOK_SECRET is not set/) })
  })
})

describe('mailstitch relay poll: dates and intervals in our words (issue 23)', () => {
  const run = async (args: string[]) => {
    const err: string[] = []
    const code = await main(['relay', ...args], { out: () => undefined, err: (l) => err.push(l), env: {}, onSignal: () => undefined, offSignal: () => undefined, exit: (c) => { throw new Error(`exit ${c}`) } })
    return { code, err: err.join('\n') }
  }

  it('refuses a day the calendar does not have', async () => {
    expect(await run(['poll', '--once', '--since', '2026-02-30'])).toEqual({ code: 2, err: 'mailstitch relay: --since: "2026-02-30" is not a date: February 2026 has 28 days.' })
  })

  it('refuses --interval -5, 0 and abc with our own message, not the argument parser\'s', async () => {
    expect(await run(['poll', '--follow', '--interval', '-5'])).toEqual({ code: 2, err: 'mailstitch relay: --interval: "-5" is not a number of seconds (it cannot be negative); give 1 or more.' })
    expect(await run(['poll', '--follow', '--interval', '0'])).toEqual({ code: 2, err: 'mailstitch relay: --interval: "0" is too short; give 1 second or more.' })
    expect(await run(['poll', '--follow', '--interval', 'abc'])).toEqual({ code: 2, err: 'mailstitch relay: --interval: "abc" is not a number of seconds; give 1 or more.' })
    expect((await run(['poll', '--follow', '--interval'])).err).toBe('mailstitch relay: --interval needs a value. See --help.')
  })
})

describe('mailstitch relay: what a newcomer meets first (issue 23)', () => {
  const run = async (args: string[], env: Record<string, string | undefined>) => {
    const t = io(env)
    const code = await main(['relay', ...args], t.cli)
    return { code, out: t.out.join('\n'), err: t.err.join('\n') }
  }
  const keys = { KLAVIYO_PRIVATE_KEY: 'pk_test', SEGMENT_WRITE_KEY: 'abcdefghijklmnopqrstuvwxyz012345', KLAVIYO_WEBHOOK_SECRET: 'whsec' }

  it('a host without a scheme is named as such in poll, serve and check, before any request', async () => {
    for (const args of [['poll', '--once'], ['serve', '--port', '0'], ['check']]) {
      expect(await run(args, { ...keys, SEGMENT_API_HOST: '127.0.0.1:38781' })).toMatchObject({
        code: 2,
        err: 'mailstitch relay: SEGMENT_API_HOST needs a scheme: write https://127.0.0.1:38781 (or http:// for a local stand-in), not the host alone.',
      })
    }
    expect(await run(['check'], { ...keys, KLAVIYO_API_BASE: 'localhost:8782' })).toMatchObject({ code: 2, err: expect.stringMatching(/KLAVIYO_API_BASE needs a scheme: write https:\/\/localhost:8782/) })
    expect(await run(['check'], { ...keys, SEGMENT_API_HOST: 'ftp://127.0.0.1' })).toMatchObject({ code: 2, err: expect.stringMatching(/SEGMENT_API_HOST must start with https:\/\/ \(or http:\/\/ for a local stand-in\), not ftp:\/\//) })
    // Credentials in the value are not printed.
    const secret = await run(['check'], { ...keys, KLAVIYO_API_BASE: 'user:hunter2@127.0.0.1:1' })
    expect(secret.code).toBe(2)
    expect(secret.err).toMatch(/KLAVIYO_API_BASE needs a scheme/)
    expect(secret.err).not.toContain('hunter2')
  })

  it('relay check with no keys names both before reaching out (a listening stand-in sees no request)', async () => {
    const stand = await startFakeServer(() => ({ status: 200, body: { success: true } }))
    try {
      const hosts = { KLAVIYO_API_BASE: stand.url, SEGMENT_API_HOST: stand.url }
      // Positive first: with a write key, check does reach the stand-in.
      await run(['check'], { ...hosts, SEGMENT_WRITE_KEY: keys.SEGMENT_WRITE_KEY })
      expect(stand.requests.length).toBeGreaterThan(0)
      stand.requests.length = 0
      const r = await run(['check'], hosts)
      expect(r.code).toBe(2)
      expect(r.out).toMatch(/^FAIL klaviyo\.key: KLAVIYO_PRIVATE_KEY is not set.*\nFAIL segment\.key: SEGMENT_WRITE_KEY is not set.*\nrelay check: not usable/)
      expect(stand.requests).toEqual([])
    } finally {
      await stand.close()
    }
  })

  it('relay check and relay serve agree on SHOPIFY_WEBHOOK_SECRET: any non-empty secret is used, a doubtful one warned in both', async () => {
    const checked = await run(['check'], { SHOPIFY_WEBHOOK_SECRET: 'x' })
    expect(checked.out).toMatch(/^warn shopify\.secret: SHOPIFY_WEBHOOK_SECRET is neither an app client secret/m)
    expect(checked.out).not.toMatch(/FAIL shopify/)

    const t = io({ SEGMENT_WRITE_KEY: keys.SEGMENT_WRITE_KEY, SHOPIFY_WEBHOOK_SECRET: 'x' })
    const served = main(['relay', 'serve', '--port', '0', '--host', '127.0.0.1'], t.cli)
    await vi.waitFor(() => expect(t.out.join('\n')).toMatch(/listening on/))
    expect(t.err.join('\n')).toMatch(/^relay: warning: SHOPIFY_WEBHOOK_SECRET is neither an app client secret/m)
    t.handlers.get('SIGTERM')!('SIGTERM')
    expect(await served).toBe(0)
  })
})
