/**
 * Reading Segment events for the journey model: JSON lines (what the sandbox collector writes,
 * Segment's event format) and loose objects, normalised into {@link JEvent}s the model can trust.
 * Everything here is untrusted input: nothing throws, bad lines are reported with their number.
 */
import { EMAIL_BOUNCED, EMAIL_DELIVERED, EMAIL_LINK_CLICKED, EMAIL_MARKED_AS_SPAM, EMAIL_OPENED, UNSUBSCRIBED, type RelayedEmailEventName } from '../shared/email-events'
import { METRIC_TO_EVENT } from '../shared/klaviyo-map'
import { isRecord, parseJson, recordOf as rec } from '../shared/json'
import { RELAY_NAME } from '../shared/version'

/** Where an event came from: the storefront (analytics.js), the relay's Klaviyo email events, a Shopify order path (the relay's order webhook or the web pixel), or another server. */
export type EventSource = 'site' | 'relay' | 'shopify' | 'server'

/** A validated, normalised event. */
export interface JEvent {
  /** Position in the input (0-based), the final tie-breaker for ordering. */
  index: number
  messageId: string
  type: string
  /** Track event name (track only). */
  event?: string
  /** Page name (page/screen only). */
  name?: string
  anonymousId?: string
  userId?: string
  /** Event time in ms since the epoch (`timestamp`, else `originalTimestamp`, else `receivedAt`). */
  time: number
  properties: Record<string, unknown>
  traits: Record<string, unknown>
  context: Record<string, unknown>
  source: EventSource
}

/** A line (or item) that could not be used, with why. */
export interface InputProblem {
  /** 1-based line number in the file (or item number for arrays). */
  line: number
  message: string
}

/** Result of reading events. */
export interface ReadResult {
  events: JEvent[]
  problems: InputProblem[]
}

/** Segment events the relay emits for Klaviyo email metrics: the relay's own mapping, deduplicated. */
export const EMAIL_EVENTS: readonly string[] = [...new Set<string>(Object.values(METRIC_TO_EVENT))]

/** Name the relay puts in `context.integration.name` (and may put in `context.library.name`). */
const RELAY_INTEGRATION = RELAY_NAME

/** A non-empty string (numbers are accepted as ids, as Segment does). */
export function str(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return typeof v === 'string' && v.length > 0 ? v : undefined
}

/** A finite number, or a numeric string (`"12.50"`) as one. */
export function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  return Number.isFinite(n) ? n : undefined
}

function timeOf(...candidates: unknown[]): number | undefined {
  for (const c of candidates) {
    if (typeof c === 'string' && c) {
      const ms = Date.parse(c)
      if (!Number.isNaN(ms)) return ms
    } else if (typeof c === 'number' && Number.isFinite(c)) {
      return c
    }
  }
  return undefined
}

/** `context.library.name` of the web pixel's messages (examples/shopify/extensions/mailstitch-pixel). */
const PIXEL_LIBRARY = 'mailstitch-pixel'

/**
 * Which side produced an event. Shopify orders carry the contract's messageIds
 * (`shopify-order-…`, `shopify-order-link-…`, `shopify-visitor-link-…`) from the relay's order
 * webhook and the web pixel (`context.library.name` `mailstitch-pixel`). The relay marks its
 * Klaviyo events in `context.integration` (Segment's cloud-source convention; analytics-node
 * overwrites `context.library`) and with `properties.provider: 'Klaviyo'`; analytics.js (browser)
 * names itself in `context.library`.
 */
export function sourceOf(e: { messageId?: string; context: Record<string, unknown>; properties: Record<string, unknown> }): EventSource {
  const integration = rec(e.context.integration)
  const library = rec(e.context.library)
  const libName = typeof library.name === 'string' ? library.name : ''
  if (e.messageId?.startsWith('shopify-') || libName === PIXEL_LIBRARY) return 'shopify'
  if (integration.name === RELAY_INTEGRATION || libName === RELAY_INTEGRATION || libName.startsWith('mailstitch') || e.properties.provider === 'Klaviyo') {
    return 'relay'
  }
  if (libName.startsWith('analytics.js') || libName === 'analytics-next' || isRecord(e.context.page)) return 'site'
  return 'server'
}

/** Normalise one parsed value; a string describing the problem when it is not a usable event. */
function normalizeEvent(raw: unknown, index: number): JEvent | string {
  if (!isRecord(raw)) return 'not a JSON object'
  const type = str(raw.type)
  if (!type) return 'no "type"'
  const anonymousId = str(raw.anonymousId)
  const userId = str(raw.userId)
  if (!anonymousId && !userId) return 'neither "anonymousId" nor "userId"'
  const time = timeOf(raw.timestamp, raw.originalTimestamp, raw.receivedAt)
  if (time === undefined) return 'no usable "timestamp"/"receivedAt"'
  const properties = rec(raw.properties)
  const context = rec(raw.context)
  const ev: JEvent = {
    index,
    messageId: str(raw.messageId) ?? `line-${index + 1}`,
    type,
    time,
    properties,
    traits: rec(raw.traits),
    context,
    source: 'server',
  }
  const event = str(raw.event)
  if (event) ev.event = event
  const name = str(raw.name)
  if (name) ev.name = name
  if (anonymousId) ev.anonymousId = anonymousId
  if (userId) ev.userId = userId
  ev.source = sourceOf(ev)
  return ev
}

/**
 * One line of a JSON-lines file: the event (numbered `index`), a problem for line `lineNo`, or
 * undefined for a blank line.
 */
export function readJsonlLine(raw: string, lineNo: number, index: number): JEvent | InputProblem | undefined {
  const line = raw.trim()
  if (!line) return undefined
  const parsed = parseJson(line)
  if (!parsed.ok) return { line: lineNo, message: `malformed JSON (${parsed.error})` }
  const ev = normalizeEvent(parsed.value, index)
  return typeof ev === 'string' ? { line: lineNo, message: ev } : ev
}

/** Read JSON lines; blank lines are skipped silently, malformed ones reported by line number. */
export function parseJsonl(text: string): ReadResult {
  const events: JEvent[] = []
  const problems: InputProblem[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const r = readJsonlLine(lines[i]!, i + 1, events.length)
    if (!r) continue
    if ('message' in r) problems.push(r)
    else events.push(r)
  }
  return { events, problems }
}

/** Normalise already-parsed events (the collector's in-memory list). */
export function readEvents(list: readonly unknown[]): ReadResult {
  const events: JEvent[] = []
  const problems: InputProblem[] = []
  list.forEach((raw, i) => {
    const ev = normalizeEvent(raw, events.length)
    if (typeof ev === 'string') problems.push({ line: i + 1, message: ev })
    else events.push(ev)
  })
  return { events, problems }
}

/** Email lifecycle order, for events Klaviyo stamped with the same second. */
const LIFECYCLE: Readonly<Record<string, number>> = {
  [EMAIL_DELIVERED]: 1,
  [EMAIL_OPENED]: 2,
  [EMAIL_LINK_CLICKED]: 3,
  [EMAIL_BOUNCED]: 1,
  [EMAIL_MARKED_AS_SPAM]: 4,
  [UNSUBSCRIBED]: 4,
} satisfies Record<RelayedEmailEventName, number>

/** Sort by time, then email lifecycle (Klaviyo times have second precision), then input order. */
export function byTime(a: JEvent, b: JEvent): number {
  return a.time - b.time || (LIFECYCLE[a.event ?? ''] ?? 0) - (LIFECYCLE[b.event ?? ''] ?? 0) || a.index - b.index
}

/** A relayed email event (one of {@link EMAIL_EVENTS}). */
export function isEmailEvent(e: JEvent): boolean {
  return e.source === 'relay' && e.type === 'track' && !!e.event && EMAIL_EVENTS.includes(e.event)
}

/** The email address an event names in its traits, if any. */
export function emailOf(e: JEvent): string | undefined {
  return str(e.traits.email) ?? str(rec(e.context.traits).email)
}
