/**
 * How Segment's HTTP Tracking API answers a request, as its docs describe it, for the sandbox
 * collector. Pure: the collector feeds it the request and stores what it says.
 *
 * segment-docs, connections/sources/catalog/libraries/server/http-api, "Errors": "Segment returns a
 * 200 response for all API requests except errors caused by large payloads and JSON errors (which
 * return 400 responses.) To debug events that return 200 responses but aren't accepted by Segment,
 * use the Segment Debugger." Common reasons events are not accepted: "Payload is too large: The HTTP
 * API can handle API requests that are 32KB or smaller. The batch API endpoint accepts a maximum of
 * 500KB per request, with a limit of 32KB per event in the batch. If these limits are exceeded,
 * Segment returns a 400 Bad Request error." "Identifier is not present: The HTTP API requires that
 * each payload has a userId and/or anonymousId." "Track event is missing name."
 * A mistyped write key is answered 200 as well and its events are dropped ("edge is stateless and
 * always returns 200", segmentio/analytics-node issue 59), as are an EU workspace's events posted
 * to the US endpoint (http-api page: "you might not see any errors, but your events will not
 * appear in the Segment app").
 */

/** Largest single call (`/v1/track` etc.), bytes. */
export const MAX_CALL_BYTES = 32 * 1024
/** Largest `/v1/batch` request, bytes. */
export const MAX_BATCH_BYTES = 500 * 1024
/** Largest event inside a batch, bytes. */
export const MAX_EVENT_BYTES = 32 * 1024

/** Why an event answered 200 was not kept. */
export type DropReason = 'unknown_write_key' | 'missing_write_key' | 'no_identifier' | 'track_without_event'

/** One event of a request and what became of it. */
export interface EventVerdict {
  event: Record<string, unknown>
  /** Undefined when accepted. */
  dropped?: DropReason
}

/** Segment's answer to one request. */
export interface SegmentAnswer {
  status: 200 | 400
  body: Record<string, unknown>
  /** Every event of the request (none on a 400: nothing of it is kept). */
  events: EventVerdict[]
}

/** Input of {@link answerSegmentRequest}. */
export interface SegmentRequestInput {
  /** `batch` for `/v1/batch` (and `/v1/b`), else the call type (`track`, `identify`, …). */
  kind: 'batch' | string
  /** Raw request body. */
  body: Uint8Array | string
  /** The write key the request carried (Basic auth user or body `writeKey`), if any. */
  writeKey: string | undefined
  /** True when the write key belongs to a source of this (emulated) workspace and region. */
  knownKey: (writeKey: string) => boolean
}

const OK = { success: true }

/** Decide Segment's answer to one request (see the module comment for the pages followed). */
export function answerSegmentRequest(input: SegmentRequestInput): SegmentAnswer {
  const bytes = typeof input.body === 'string' ? Buffer.byteLength(input.body) : input.body.byteLength
  const limit = input.kind === 'batch' ? MAX_BATCH_BYTES : MAX_CALL_BYTES
  if (bytes > limit) return badRequest(`request is ${bytes} bytes; the limit is ${limit} bytes`)
  let parsed: unknown
  try {
    parsed = JSON.parse(typeof input.body === 'string' ? input.body : Buffer.from(input.body).toString('utf8'))
  } catch {
    return badRequest('invalid JSON')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return badRequest('body is not a JSON object')
  const doc = parsed as Record<string, unknown>
  let events: Record<string, unknown>[]
  if (input.kind === 'batch') {
    if (!Array.isArray(doc.batch)) return badRequest('batch is not an array')
    events = doc.batch.filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && !Array.isArray(e))
    for (const e of events) {
      const size = Buffer.byteLength(JSON.stringify(e))
      if (size > MAX_EVENT_BYTES) return badRequest(`an event is ${size} bytes; the limit is ${MAX_EVENT_BYTES} bytes per event`)
    }
  } else {
    events = [{ type: input.kind, ...doc }]
  }
  const key = input.writeKey ?? (typeof doc.writeKey === 'string' ? doc.writeKey : undefined)
  const keyProblem: DropReason | undefined = !key ? 'missing_write_key' : input.knownKey(key) ? undefined : 'unknown_write_key'
  return {
    status: 200,
    body: OK,
    events: events.map((event) => {
      if (keyProblem) return { event, dropped: keyProblem }
      if (!nonEmpty(event.userId) && !nonEmpty(event.anonymousId)) return { event, dropped: 'no_identifier' }
      if (event.type === 'track' && !nonEmpty(event.event)) return { event, dropped: 'track_without_event' }
      return { event }
    }),
  }
}

function badRequest(message: string): SegmentAnswer {
  return { status: 400, body: { success: false, message }, events: [] }
}

function nonEmpty(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || (typeof v === 'number' && Number.isFinite(v))
}
