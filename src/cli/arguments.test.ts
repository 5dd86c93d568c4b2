import { describe, expect, it } from 'vitest'
import { UsageError } from '../relay/errors'
import { parseIsoTime, parseOptions, parseSeconds } from './arguments'

const NOW = Date.parse('2026-12-07T12:00:00Z')
const refusal = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error('not refused')
}

describe('parseIsoTime', () => {
  it('takes real dates and times, with or without a zone', () => {
    expect(parseIsoTime('--since', '2026-01-31', NOW).toISOString()).toBe('2026-01-31T00:00:00.000Z')
    expect(parseIsoTime('--since', '2024-02-29T23:59:59Z', NOW).toISOString()).toBe('2024-02-29T23:59:59.000Z')
    expect(parseIsoTime('--since', '2026-03-01T10:00:00+01:00', NOW).toISOString()).toBe('2026-03-01T09:00:00.000Z')
    expect(parseIsoTime('--since', '2026-03-01 10:00:00.250Z', NOW).toISOString()).toBe('2026-03-01T10:00:00.250Z')
  })

  it('refuses days the calendar does not have, in our words (Date.parse would roll them over)', () => {
    expect(refusal(() => parseIsoTime('--since', '2026-02-30', NOW))).toBe('--since: "2026-02-30" is not a date: February 2026 has 28 days.')
    expect(refusal(() => parseIsoTime('--since', '2025-02-29T00:00:00Z', NOW))).toBe('--since: "2025-02-29T00:00:00Z" is not a date: February 2025 has 28 days.')
    expect(refusal(() => parseIsoTime('--since', '2026-04-31', NOW))).toBe('--since: "2026-04-31" is not a date: April 2026 has 30 days.')
    expect(refusal(() => parseIsoTime('--redrive', '2026-13-01', NOW))).toBe('--redrive: "2026-13-01" is not a date: there is no month 13.')
    expect(refusal(() => parseIsoTime('--since', '2026-01-00', NOW))).toMatch(/January 2026 has 31 days/)
  })

  it('refuses impossible times of day and offsets, text that is not ISO, and the future', () => {
    expect(refusal(() => parseIsoTime('--since', '2026-02-28T24:00:00Z', NOW))).toBe('--since: "2026-02-28T24:00:00Z" is not a time of day: hours run 00–23, minutes and seconds 00–59.')
    expect(refusal(() => parseIsoTime('--since', '2026-02-28T10:61Z', NOW))).toMatch(/not a time of day/)
    expect(refusal(() => parseIsoTime('--since', '2026-02-28T10:00:00+25:00', NOW))).toMatch(/no valid UTC offset \(\+25:00\)/)
    expect(refusal(() => parseIsoTime('--since', 'March 7', NOW))).toBe('--since: "March 7" is not an ISO time, e.g. 2026-01-31 or 2026-01-31T00:00:00Z.')
    expect(refusal(() => parseIsoTime('--since', '2026-12-08', NOW))).toBe('--since is in the future (2026-12-08T00:00:00.000Z).')
  })
})

describe('parseSeconds', () => {
  it('takes whole and fractional seconds', () => {
    expect(parseSeconds('--interval', '120', 1)).toBe(120)
    expect(parseSeconds('--interval', '1.5', 1)).toBe(1.5)
    expect(parseSeconds('--lookback', '0', 0)).toBe(0)
  })

  it('refuses negative, zero, words and units, in our words', () => {
    expect(refusal(() => parseSeconds('--interval', '-5', 1))).toBe('--interval: "-5" is not a number of seconds (it cannot be negative); give 1 or more.')
    expect(refusal(() => parseSeconds('--interval', '0', 1))).toBe('--interval: "0" is too short; give 1 second or more.')
    expect(refusal(() => parseSeconds('--interval', 'abc', 1))).toBe('--interval: "abc" is not a number of seconds; give 1 or more.')
    expect(refusal(() => parseSeconds('--interval', '5m', 1))).toBe('--interval: "5m" is not a number of seconds (give the number alone, in seconds); give 1 or more.')
    expect(refusal(() => parseSeconds('--lookback', '-1', 0))).toBe('--lookback: "-1" is not a number of seconds (it cannot be negative).')
  })
})

describe('parseOptions', () => {
  const spec = { once: { type: 'boolean' }, interval: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const

  it('reads flags and values, including a value that starts with a dash', () => {
    expect(parseOptions(['--once', '--interval', '5'], spec)).toEqual({ once: true, interval: '5' })
    expect(parseOptions(['--interval', '-5'], spec)).toEqual({ interval: '-5' })
    expect(parseOptions(['--interval=-5', '-h'], spec)).toEqual({ interval: '-5', help: true })
  })

  it('refuses the rest in our words, never the parser\'s', () => {
    expect(refusal(() => parseOptions(['--nope'], spec))).toBe('unknown option "--nope". See --help.')
    expect(refusal(() => parseOptions(['-x'], spec))).toBe('unknown option "-x". See --help.')
    expect(refusal(() => parseOptions(['extra'], spec))).toBe('unexpected argument "extra": this command takes only options. See --help.')
    expect(refusal(() => parseOptions(['--interval'], spec))).toBe('--interval needs a value. See --help.')
    expect(refusal(() => parseOptions(['--interval', '--once'], spec))).toBe('--interval needs a value (the next word is the option "--once"). See --help.')
    expect(refusal(() => parseOptions(['--once=yes'], spec))).toBe('--once takes no value (got "yes"). See --help.')
    expect(refusal(() => parseOptions(['--', 'x'], spec))).toMatch(/"--" is not used/)
  })
})
