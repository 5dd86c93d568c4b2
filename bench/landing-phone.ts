/**
 * Row 6, on a phone: "landing on a phone (CPU 4×, analytics.js cached, mailstitch 250 ms late)",
 * one row per documented placement (README): the inline snippet before and right after the
 * Segment snippet, the plain tag before it, the Shopify app embed's place (inline snippet just
 * before </head>, consent mode `shopify`; its Customer Privacy API loaded, and still loading),
 * the npm path. The same harness as e2e/landing-phone.spec.ts (e2e/support/phone-landing.ts): a
 * fresh device per landing, CPU slowed 4× through CDP, analytics.js straight from the local
 * collector, the mailstitch file(s) answered 250 ms late. Counted per placement: events under
 * another id than the token, and events carrying `mst=` anywhere (goal 0 and 0); the note gives
 * each placement's slowest decision (navigation start → `Email Link Landed`): how long a phone
 * held a landing's events where the snippet could not decide.
 * Landings run 2 at a time.
 */
import { runAlone, type Stack } from './lib/stack'
import { WRITE_KEY } from './lib/stack'
import { phoneLanding, phoneLandings, servePlacement, PLACEMENTS, PHONE } from '../e2e/support/phone-landing'
import type { Row, Section } from './lib/stats'

export async function benchPhoneLanding(stack: Stack, trials = 10): Promise<Section> {
  const rows: Row[] = []
  const notes: string[] = []
  for (const placement of PLACEMENTS) {
    const prefix = await servePlacement(stack, WRITE_KEY, placement)
    stack.collector.reset()
    const landings = await phoneLandings(trials, 2, (n) => {
      const token = `bench-${n}-${placement.replace(/\W+/g, '-')}`
      return phoneLanding({ browser: stack.browser, collector: stack.collector, token, url: `${stack.site.url}${prefix}${n}?utm_source=klaviyo&mst=${token}` })
    })
    const ok = landings.filter((l) => !l.error)
    const events = ok.reduce((sum, l) => sum + l.events.length, 0)
    const other = ok.reduce((sum, l) => sum + l.underOtherId, 0)
    const tokens = ok.reduce((sum, l) => sum + l.withToken, 0)
    const errors = landings.length - ok.length
    rows.push({
      n: 6,
      figure: `Landing on a phone (CPU ${PHONE.cpuSlowdown}×, analytics.js cached, mailstitch ${PHONE.lateMs} ms late), ${placement} (${trials} landings)`,
      mailstitch: `${other} of ${events} events under another id; ${tokens} with the token${errors ? `; ${errors} landings without their events` : ''}`,
      baseline: '—',
      ratio: '—',
      goal: '0 and 0',
      met: other === 0 && tokens === 0 && errors === 0,
    })
    const slowest = Math.max(...ok.map((l) => l.decidedAfterMs ?? NaN))
    notes.push(`Phone landing, ${placement}: ${ok.map((l) => l.landed?.properties?.outcome ?? 'none').join(', ')}; slowest decision ${slowest} ms after navigation start.`)
  }
  return { rows, notes: [`Phone landings (bench/landing-phone.ts), outcome per landing. ${notes.join(' ')}`] }
}

await runAlone(import.meta.url, (stack) => benchPhoneLanding(stack, Number(process.env.N) || 10))
