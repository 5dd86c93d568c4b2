/**
 * Command-line arguments in our own words: options read with node:util's parseArgs (its tokens
 * only, so a value such as `-5` reaches our checks instead of its "ambiguous" message), and the
 * checks of times and durations the relay commands share.
 */
import { parseArgs } from 'node:util'
import { UsageError } from '../relay/errors'

/** The options a command takes: long name → type (and an optional one-letter alias). */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>

/** Parsed values: a string option's text, `true` for a boolean flag given. */
export type OptionValues<T extends OptionSpec> = { [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean }

/** Read `args` against `spec`; anything else (unknown option, stray word, missing value) is a {@link UsageError}. */
export function parseOptions<T extends OptionSpec>(args: string[], spec: T): OptionValues<T> {
  const { tokens } = parseArgs({ args, options: spec, strict: false, allowPositionals: true, tokens: true })
  const values: Record<string, string | boolean> = {}
  for (const token of tokens) {
    if (token.kind === 'option-terminator') throw new UsageError('"--" is not used by this command. See --help.')
    if (token.kind === 'positional') throw new UsageError(`unexpected argument "${token.value}": this command takes only options. See --help.`)
    const option = Object.prototype.hasOwnProperty.call(spec, token.name) ? spec[token.name] : undefined
    if (!option) throw new UsageError(`unknown option "${token.rawName}". See --help.`)
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value (got "${token.value}"). See --help.`)
      values[token.name] = true
      continue
    }
    // parseArgs (non-strict) hands a string option the next word even when it is another option.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      throw new UsageError(`${token.rawName} needs a value${token.value === undefined ? '' : ` (the next word is the option "${token.value}")`}. See --help.`)
    }
    values[token.name] = token.value
  }
  return values as OptionValues<T>
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * An ISO 8601 date or date-time that exists on the calendar and is not in the future. Date.parse
 * alone would take "March 7" and roll 2026-02-30 over to March 2: a typo must not silently
 * backfill the wrong window.
 */
export function parseIsoTime(flag: string, raw: string, nowMs: number = Date.now()): Date {
  const v = raw.trim()
  const m = ISO_TIME.exec(v)
  if (!m) throw new UsageError(`${flag}: "${raw}" is not an ISO time, e.g. 2026-01-31 or 2026-01-31T00:00:00Z.`)
  const [, y, mo, d, hh, mm, ss, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12) throw new UsageError(`${flag}: "${raw}" is not a date: there is no month ${mo}.`)
  if (day < 1 || day > daysIn(year, month)) throw new UsageError(`${flag}: "${raw}" is not a date: ${MONTHS[month - 1]} ${year} has ${daysIn(year, month)} days.`)
  if (hh !== undefined && (Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59)) {
    throw new UsageError(`${flag}: "${raw}" is not a time of day: hours run 00–23, minutes and seconds 00–59.`)
  }
  if (zone && zone !== 'Z') {
    const [zh, zm] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))]
    if (zh > 23 || zm > 59) throw new UsageError(`${flag}: "${raw}" has no valid UTC offset (${zone}).`)
  }
  const ms = Date.parse(v.replace(' ', 'T'))
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${raw}" is not an ISO time, e.g. 2026-01-31T00:00:00Z.`)
  if (ms > nowMs) throw new UsageError(`${flag} is in the future (${new Date(ms).toISOString()}).`)
  return new Date(ms)
}

/** A number of seconds, at least `min`: digits with an optional fraction (no sign, no unit). */
export function parseSeconds(flag: string, raw: string, min: number): number {
  const v = raw.trim()
  const n = Number(v)
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) {
    const hint = /^-/.test(v) ? ' (it cannot be negative)' : /^\d+(\.\d+)?\s*[a-z]+$/i.test(v) ? ' (give the number alone, in seconds)' : ''
    throw new UsageError(`${flag}: "${raw}" is not a number of seconds${hint}${min ? `; give ${min} or more` : ''}.`)
  }
  if (n < min) throw new UsageError(`${flag}: "${raw}" is too short; give ${min} second${min === 1 ? '' : 's'} or more.`)
  return n
}
