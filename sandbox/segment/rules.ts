/**
 * Segment's HTTP Tracking API rules: limits, endpoint paths, write-key auth, what it drops.
 * Source: segment-docs, connections/sources/catalog/libraries/server/http-api, "Errors": "Segment
 * returns a 200 response for all API requests except errors caused by large payloads and JSON
 * errors (which return 400 responses.) To debug events that return 200 responses but aren't
 * accepted by Segment, use the Segment Debugger." "Payload is too large: The HTTP API can handle API
 * requests that are 32KB or smaller. The batch API endpoint accepts a maximum of 500KB per request,
 * with a limit of 32KB per event in the batch. If these limits are exceeded, Segment returns a 400
 * Bad Request error." "Identifier is not present: The HTTP API requires that each payload has a
 * userId and/or anonymousId." "Track event is missing name."
 * A wrong write key is answered 200 too, its events dropped: "edge is stateless and always returns
 * 200" (segmentio/analytics-node issue 59); so is an EU workspace posting to the US endpoint ("you
 * might not see any errors, but your events will not appear in the Segment app", same page).
 */
import type { SegmentEventType } from './types'

/**
 * Segment's documented limits (HTTP Tracking API, "Max request size":
 * https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size):
 * an event over 32 KB, or a batch request over 500 KB, is answered 400 (tracking-api.ts), whole.
 */
export const SEGMENT_LIMITS = {
  /** Max request body for `/batch` (and our cap for every tracking call). */
  maxBodyBytes: 500 * 1024,
  /** Max size of one event. */
  maxEventBytes: 32 * 1024,
  /** Max events per batch. */
  maxBatchEvents: 2500,
  /** Max messageId length. */
  maxMessageIdLength: 100,
} as const

/** The call types a batch may hold. */
export const TYPES: readonly SegmentEventType[] = ['identify', 'track', 'page', 'screen', 'group', 'alias']

// analytics-next posts to the one-letter aliases; the HTTP API and analytics-node use full names.
/** Single-event path → call type (analytics-next uses the one-letter aliases; the HTTP API and analytics-node the full names). */
export const SINGLE_PATHS: Record<string, SegmentEventType> = {
  i: 'identify',
  t: 'track',
  p: 'page',
  s: 'screen',
  g: 'group',
  a: 'alias',
  identify: 'identify',
  track: 'track',
  page: 'page',
  screen: 'screen',
  group: 'group',
  alias: 'alias',
}
/** Batch paths. */
export const BATCH_PATHS = new Set(['b', 'batch', 'import'])

/** The write key of a Basic Authorization header. */
export function decodeBasicAuth(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Basic\s+(\S+)\s*$/i.exec(header)
  if (!m) return undefined
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  const key = i >= 0 ? decoded.slice(0, i) : decoded
  return key || undefined
}

/**
 * Why a request's events are all dropped for its write key, or null when the key is one of this
 * workspace's sources. Segment still answers `200 {"success":true}` (see the module comment).
 */
export function writeKeyDropReason(key: string | undefined, keyAllowed: (key: string | undefined) => boolean): 'missing_write_key' | 'unknown_write_key' | null {
  if (!key) return 'missing_write_key'
  return keyAllowed(key) ? null : 'unknown_write_key'
}

/** A non-empty string. */
export function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0
}

// Mirrors what Segment drops silently (200 for the request, event not stored).
/** Why Segment would drop this event (200 for the request, event not stored), or null. */
export function rejectionReason(ev: Record<string, unknown>, type: SegmentEventType): string | null {
  const hasUser = nonEmptyString(ev.userId) || typeof ev.userId === 'number'
  const hasAnon = nonEmptyString(ev.anonymousId) || typeof ev.anonymousId === 'number'
  if (!hasUser && !hasAnon) return 'missing_user_id_and_anonymous_id'
  if (type === 'track' && !nonEmptyString(ev.event)) return 'track_missing_event_name'
  if (type === 'alias' && !nonEmptyString(ev.previousId)) return 'alias_missing_previous_id'
  if (type === 'group' && !(nonEmptyString(ev.groupId) || typeof ev.groupId === 'number')) return 'group_missing_group_id'
  if (ev.messageId !== undefined && (typeof ev.messageId !== 'string' || ev.messageId.length > SEGMENT_LIMITS.maxMessageIdLength)) {
    return 'invalid_message_id'
  }
  return null
}
