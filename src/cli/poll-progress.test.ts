import { describe, expect, it } from 'vitest'
import type { PollProgress } from '../relay/poll'
import { createPollProgress, formatPollProgress } from './poll-progress'

const at = (fetched: number, cursor = '2026-03-01T10:22:05.000Z'): PollProgress => ({ fetched, sent: fetched - 10, skipped: 10, metric: 'Opened Email', cursor })

function line(opts = {}) {
  let t = 0
  const shown: string[] = []
  const p = createPollProgress((l) => shown.push(l), { now: () => t, ...opts })
  return { p, shown, tick: (ms: number) => (t += ms) }
}

describe('the poll progress line', () => {
  it('reads: events read, sent and skipped, the rate, the metric and its cursor', () => {
    expect(formatPollProgress(at(12_000), 2400.4)).toBe('relay: 12,000 events read (11,990 sent, 10 skipped) · 2,400 events/s · Opened Email up to 2026-03-01T10:22:05Z')
  })

  it('stays quiet for a poll under a second, then shows the rate since the first page', () => {
    const { p, shown, tick } = line()
    p.update(at(1000)) // first page: the start of the measure
    tick(500)
    p.update(at(2000))
    expect(shown).toEqual([])
    tick(500)
    p.update(at(3000, '2026-03-01T11:00:00.000Z'))
    expect(shown).toEqual(['relay: 3,000 events read (2,990 sent, 10 skipped) · 2,000 events/s · Opened Email up to 2026-03-01T11:00:00Z'])
  })

  it('redraws at most every 250 ms, and clear() blanks a shown line and starts afresh', () => {
    const { p, shown, tick } = line()
    p.update(at(0))
    tick(1000)
    p.update(at(1000))
    tick(100)
    p.update(at(1100))
    tick(150)
    p.update(at(1250))
    expect(shown).toHaveLength(2)
    p.clear()
    expect(shown.at(-1)).toBe('')
    // The next poll (--follow) measures from its own first page.
    tick(60_000)
    p.update(at(10))
    tick(2000)
    p.update(at(4010))
    expect(shown.at(-1)).toMatch(/ 2,000 events\/s /)
  })

  it('clear() writes nothing when nothing was shown', () => {
    const { p, shown } = line()
    p.update(at(5))
    p.clear()
    expect(shown).toEqual([])
  })
})
