/** Segment's HTTP Tracking API rules: limits, endpoint paths, write-key auth, what it drops (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/). */
import type { SegmentEventType } from './types'

/** Segment's documented limits (HTTP Tracking API). */
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
  if (Buffer.byteLength(JSON.stringify(ev)) > SEGMENT_LIMITS.maxEventBytes) return 'event_too_large'
  return null
}
