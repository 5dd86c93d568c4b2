/**
 * Segment's size limits, and fitting one event under them. Segment's HTTP Tracking API
 * (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/, "Max request
 * size"): "The HTTP API can handle API requests that are 32KB or smaller. The batch API endpoint
 * accepts a maximum of 500KB per request, with a limit of 32KB per event in the batch. If these
 * limits are exceeded, Segment returns a 400 Bad Request error."
 *
 * An event over 32 KB would be refused forever, and with it the batch that carries it, so every
 * event is fitted before it is batched (shared/CONTRACT.md): its longest text properties are cut,
 * on a character (code point) boundary, until its JSON is under the limit, and it then carries
 * `properties.truncated: true`. Sizes are UTF-8 bytes of the JSON text, as Segment counts them:
 * a CJK subject is 3 bytes a character, so a field capped at 8,192 characters can be 24 KB.
 */
import { isRecord } from './json'

/** Segment's per-request limit of `/v1/batch`, 500 KB. */
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024
/** Events fitted to this many bytes: under 32 KB whether Segment counts 32,768 or 32,000. */
const FIT_EVENT_BYTES = 32_000

/** An event's JSON text, fitted; or why it cannot be. */
export type FitResult = { ok: true; json: string; bytes: number; truncated: boolean } | { ok: false; bytes: number }

const NON_ASCII = /[^\x00-\x7f]/

/** UTF-8 length of a string in bytes (a lone surrogate counts 3, as TextEncoder writes U+FFFD). */
export function utf8Length(s: string): number {
  // Most events are ASCII: one native scan instead of a loop over every character.
  if (!NON_ASCII.test(s)) return s.length
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** The longest prefix of `s` whose UTF-8 length is at most `maxBytes`, never splitting a character. */
export function cutToBytes(s: string, maxBytes: number): string {
  let n = 0
  let i = 0
  while (i < s.length) {
    const c = s.charCodeAt(i)
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3
    if (n + size > maxBytes) break
    n += size
    i += pair ? 2 : 1
  }
  return s.slice(0, i)
}

/**
 * The JSON text of `message`, fitted to {@link FIT_EVENT_BYTES}: unchanged when it fits; else a copy
 * whose longest string properties (at any depth of `properties`) are cut just enough, marked
 * `properties.truncated: true`. `ok: false` when cutting every text property is not enough.
 */
export function fitEvent(message: object, limit: number = FIT_EVENT_BYTES): FitResult {
  const json = JSON.stringify(message)
  const bytes = utf8Length(json)
  if (bytes <= limit) return { ok: true, json, bytes, truncated: false }
  const copy = JSON.parse(json) as Record<string, unknown>
  const properties = isRecord(copy.properties) ? copy.properties : (copy.properties = {})
  properties.truncated = true
  // Each round cuts the longest text by what is still over; escapes (quotes, control characters)
  // make JSON longer than the text, so a round may not be enough, but every round shortens a string.
  for (;;) {
    const text = JSON.stringify(copy)
    const size = utf8Length(text)
    if (size <= limit) return { ok: true, json: text, bytes: size, truncated: true }
    const longest = longestString(properties)
    if (!longest || longest.bytes === 0) return { ok: false, bytes: size }
    const keep = Math.max(0, Math.min(longest.bytes - 1, longest.bytes - (size - limit)))
    ;(longest.holder as Record<string | number, unknown>)[longest.key] = cutToBytes(longest.value, keep)
  }
}

interface StringSlot {
  holder: Record<string, unknown> | unknown[]
  key: string | number
  value: string
  bytes: number
}

function longestString(root: Record<string, unknown>): StringSlot | undefined {
  let best: StringSlot | undefined
  const visit = (holder: Record<string, unknown> | unknown[], key: string | number, value: unknown, depth: number) => {
    if (typeof value === 'string') {
      const bytes = utf8Length(value)
      if (!best || bytes > best.bytes) best = { holder, key, value, bytes }
    } else if (depth < 16 && Array.isArray(value)) {
      value.forEach((v, i) => visit(value, i, v, depth + 1))
    } else if (depth < 16 && isRecord(value)) {
      for (const [k, v] of Object.entries(value)) visit(value, k, v, depth + 1)
    }
  }
  for (const [k, v] of Object.entries(root)) visit(root, k, v, 0)
  return best
}
