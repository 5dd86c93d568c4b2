import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { main, type CliIO } from './main'
import { runJourney } from './journey-command'
import { clean } from '../journey/format'

const FIXTURE = new URL('../journey/fixtures/demo-journey.jsonl', import.meta.url).pathname
const dir = mkdtempSync(path.join(tmpdir(), 'mailstitch-journey-'))

function io() {
  const out: string[] = []
  const err: string[] = []
  const cli: CliIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    onSignal: () => undefined,
    offSignal: () => undefined,
    exit: (code) => {
      throw new Error(`exit ${code}`)
    },
  }
  return { cli, out, err, text: () => out.join('\n') }
}

describe('mailstitch journey', () => {
  it('is in the CLI command table', async () => {
    const t = io()
    expect(await main(['journey', FIXTURE, '--no-color'], t.cli)).toBe(0)
    expect(t.text()).toMatch(/WITH MAILSTITCH/)
    const h = io()
    await main(['--help'], h.cli)
    expect(h.text()).toMatch(/journey\s+Print visitor journeys/)
  })

  it('prints both views with stitch points and attribution', async () => {
    const t = io()
    expect(await runJourney([FIXTURE], t.cli)).toBe(0)
    const s = t.text()
    expect(t.err).toEqual([])
    expect(s).not.toMatch(/\u001b\[/) // no colour when not a terminal
    expect(s).toMatch(/WITH MAILSTITCH {2}1 visitor · 3 email events, 0 orphaned · 1 order: 1 after an email click/)
    expect(s).toMatch(/★ Email Captured/)
    expect(s).toMatch(/↳ stitch: Email link opened on D2: the browser adopted the bridge id/)
    expect(s).toMatch(/↳ first touch: direct visit at \d\d:\d\d:\d\d · last touch: email click, Spring Linen Drop at \d\d:\d\d:\d\d → credited to email/)
    expect(s).toMatch(/WITHOUT MAILSTITCH {2}3 visitors · 3 email events, 3 orphaned/)
    expect(s).toMatch(/ORPHANED: 3 email events/)
    expect(s).toMatch(/a new anonymousId \(never sent\)/)
    expect(s).toMatch(/→ email by UTM only/)
  })

  it('reports malformed lines with their line number on stderr and goes on', async () => {
    const good = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean)
    const file = path.join(dir, 'mixed.jsonl')
    writeFileSync(file, [good[0], '{"type": "page", oops', good[1], 'null', '', '\u001b]0;pwned\u0007{', ...good.slice(2)].join('\n') + '\n')
    const t = io()
    expect(await runJourney([file, '--with'], t.cli)).toBe(0)
    expect(t.err[0]).toMatch(/mixed\.jsonl:2: malformed JSON .*, skipped$/)
    expect(t.err[1]).toMatch(/mixed\.jsonl:4: not a JSON object, skipped$/)
    expect(t.err[2]).toMatch(/mixed\.jsonl:6: malformed JSON/)
    expect(t.err.join('\n')).not.toMatch(/\u001b|\u0007/)
    expect(t.err.at(-1)).toBe('(3 bad lines skipped)')
    expect(t.text()).toMatch(/18 events/)
    expect(t.text()).not.toMatch(/WITHOUT MAILSTITCH/)
  })

  it('caps the per-line reports of a file full of garbage', async () => {
    const file = path.join(dir, 'garbage.jsonl')
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => `garbage ${i}`).join('\n'))
    const t = io()
    expect(await runJourney([file], t.cli)).toBe(0)
    expect(t.err).toHaveLength(21)
    expect(t.err[20]).toMatch(/30 more bad lines skipped/)
    expect(t.text()).toMatch(/no events in .*garbage\.jsonl \(50 bad lines skipped\)/)
  })

  it('escapes terminal control sequences and bidi overrides from event data', async () => {
    const file = path.join(dir, 'hostile.jsonl')
    const evil = 'x\u001b[2J\u001b]8;;http://evil\u0007click\u202Egnp.exe\r\nsecond line'
    writeFileSync(
      file,
      JSON.stringify({ type: 'identify', anonymousId: 'a-1', timestamp: '2026-01-01T00:00:00Z', traits: { email: evil }, context: { library: { name: 'analytics.js' }, page: { url: 'http://127.0.0.1:8780/' } } }) + '\n',
    )
    const t = io()
    expect(await runJourney([file, '--color'], t.cli)).toBe(0)
    const s = t.text()
    // Our own colour codes only: ESC followed by "[<digits;>m".
    expect(s.replace(/\u001b\[[\d;]*m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/)
    expect(s).toContain('x\\x1b[2J\\x1b]8;;http://evil\\x07click\\u202egnp.exe\\x0d\\x0asecond line')
  })

  it('--json prints the model; --visitor focuses one visitor', async () => {
    const t = io()
    expect(await runJourney([FIXTURE, '--json'], t.cli)).toBe(0)
    const model = JSON.parse(t.text())
    expect(model.with.visitors).toHaveLength(1)
    expect(model.without.totals.orphanedEmailEvents).toBe(3)
    const id = model.with.visitors[0].id
    const f = io()
    await runJourney([FIXTURE, '--visitor', id], f.cli)
    expect(f.text()).toMatch(/WITHOUT MAILSTITCH/)
    const g = io()
    await runJourney([FIXTURE, '--visitor', 'nobody'], g.cli)
    expect(g.text()).toMatch(/\(no visitor\)/)
  })

  it('--site-host names the store\'s own hosts: a referrer there is not a referral', async () => {
    const page = (s: number, url: string, referrer: string) =>
      JSON.stringify({ type: 'page', anonymousId: 'a-1', messageId: `p${s}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), context: { library: { name: 'analytics.js' }, page: { url, referrer } } })
    const file = path.join(dir, 'hosts.jsonl')
    writeFileSync(file, [page(0, 'https://shop.example/', 'https://blog.shop.example/post'), page(1, 'https://shop.example/cart', 'https://shop.example/'), JSON.stringify({ type: 'track', event: 'Order Completed', anonymousId: 'a-1', messageId: 'o1', timestamp: '2026-01-01T00:00:02Z', properties: { revenue: 1 }, context: { library: { name: 'analytics.js' }, page: { url: 'https://shop.example/cart' } } })].join('\n'))
    const firstTouch = async (...flags: string[]) => {
      const t = io()
      expect(await runJourney([file, '--json', ...flags], t.cli)).toBe(0)
      return JSON.parse(t.text()).with.visitors[0].orders[0].order.firstTouch
    }
    expect(await firstTouch()).toMatchObject({ channel: 'referral', referrer: 'blog.shop.example' })
    expect(await firstTouch('--site-host', 'blog.shop.example')).toMatchObject({ channel: 'direct' })
  })

  it('reads stdin with "-"', async () => {
    const t = io()
    expect(await runJourney(['-', '--with'], t.cli, { stdin: Readable.from([readFileSync(FIXTURE)]) })).toBe(0)
    expect(t.text()).toMatch(/· stdin · 18 events/)
  })

  it('usage errors exit 2, unreadable files exit 1', async () => {
    const a = io()
    expect(await runJourney([], a.cli)).toBe(2)
    expect(a.err[0]).toMatch(/which file\?/)
    const b = io()
    expect(await runJourney([FIXTURE, '--nope'], b.cli)).toBe(2)
    const c = io()
    expect(await runJourney([path.join(dir, 'missing.jsonl')], c.cli)).toBe(1)
    expect(c.err[0]).toMatch(/cannot read .*missing\.jsonl: no such file/)
    const d = io()
    expect(await runJourney([dir], d.cli)).toBe(1)
    expect(d.err[0]).toMatch(/is a directory/)
    const e = io()
    expect(await runJourney(['--help'], e.cli)).toBe(0)
    expect(e.text()).toMatch(/^Usage: mailstitch journey/)
  })
})

it('clean() truncates and escapes', () => {
  expect(clean('a\tb')).toBe('a\\x09b')
  expect(clean('x'.repeat(10), 5)).toBe('xxxx…')
  expect(clean(undefined)).toBe('')
})
