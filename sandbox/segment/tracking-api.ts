/**
 * The tracking endpoints (`/v1/t`, `/v1/batch`, …): limits, faults, auth, then the ledger; every
 * answer as Segment gives it (rules.ts cites the pages): 400 only for an oversize request or event
 * and for bad JSON, otherwise `200 {"success":true}`, even when the write key is unknown (then
 * every event of the request is dropped, and shows in `rejected()`).
 */
import { appendFileSync } from 'node:fs'
import type http from 'node:http'
import { isRecord, parseJson, readBody, sendJson, type FaultInjector } from '../http-util'
import type { EventLedger } from './ledger'
import { SEGMENT_LIMITS, TYPES, decodeBasicAuth, nonEmptyString, writeKeyDropReason } from './rules'
import type { CollectorRequest, SegmentEventType } from './types'

/** Options of {@link createTrackingApi}. */
export interface TrackingApiContext {
  ledger: EventLedger
  faults: FaultInjector
  /** True for a write key the collector accepts. */
  keyAllowed(key: string | undefined): key is string
  /** Also append accepted events to this JSON-lines file. */
  jsonlPath?: string
}

/** The handler of one tracking request. */
export function createTrackingApi({ ledger, faults, keyAllowed, jsonlPath }: TrackingApiContext): (req: http.IncomingMessage, res: http.ServerResponse, reqPath: string, kind: SegmentEventType | 'batch') => Promise<void> {
  async function handleTracking(req: http.IncomingMessage, res: http.ServerResponse, reqPath: string, kind: SegmentEventType | 'batch'): Promise<void> {
    ledger.requestCount++
    const entry: CollectorRequest = {
      method: req.method ?? 'POST',
      path: reqPath,
      status: 0,
      accepted: 0,
      retryCount: Number(req.headers['x-retry-count']) || 0,
      contentType: req.headers['content-type'],
      at: new Date().toISOString(),
    }
    ledger.log.push(entry)
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status
      sendJson(res, status, payload, headers)
    }

    const body = await readBody(req, SEGMENT_LIMITS.maxBodyBytes)
    await faults.delay()
    const fault = faults.take()
    if (fault) {
      reply(fault.status, { success: false, message: 'injected fault' }, fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {})
      return
    }
    if (!body.ok) {
      if (body.reason === 'too_large') reply(400, { success: false, message: `request body exceeds ${SEGMENT_LIMITS.maxBodyBytes} bytes`, code: 'payload_too_large' })
      else res.destroy()
      return
    }
    const parsed = parseJson(body.body)
    if (!parsed.ok || !isRecord(parsed.value)) {
      reply(400, { success: false, message: 'invalid JSON', code: 'invalid_request' })
      return
    }
    const payload = parsed.value
    const batch = kind === 'batch' ? payload.batch : undefined
    if (kind === 'batch' && !Array.isArray(batch)) {
      reply(400, { success: false, message: 'batch must be an array', code: 'invalid_request' })
      return
    }

    // Header wins (analytics-next and analytics-node both send Basic auth); the body key is the fallback.
    let writeKey = decodeBasicAuth(req.headers.authorization)
    if (!writeKey && nonEmptyString(payload.writeKey)) writeKey = payload.writeKey
    if (!writeKey && Array.isArray(batch)) {
      const first = batch.find((e): e is Record<string, unknown> => isRecord(e) && nonEmptyString(e.writeKey))
      writeKey = first?.writeKey as string | undefined
    }
    entry.writeKey = writeKey

    // Size limits first: an oversize event fails the whole request with 400, whatever the key.
    if (kind === 'batch') {
      for (const item of batch as unknown[]) {
        const size = Buffer.byteLength(JSON.stringify(item) ?? '')
        if (size > SEGMENT_LIMITS.maxEventBytes) {
          reply(400, { success: false, message: `an event of the batch is ${size} bytes; the limit is ${SEGMENT_LIMITS.maxEventBytes} bytes per event`, code: 'payload_too_large' })
          return
        }
      }
    } else if (body.body.length > SEGMENT_LIMITS.maxEventBytes) {
      // Segment's single-event endpoints answer 400 for an oversized event rather than dropping it.
      reply(400, { success: false, message: `event exceeds ${SEGMENT_LIMITS.maxEventBytes} bytes`, code: 'payload_too_large' })
      return
    }

    const keyProblem = writeKeyDropReason(writeKey, keyAllowed)
    if (keyProblem) {
      // Answered like any other request; the events are gone (only the source debugger would tell).
      const receivedAt = new Date().toISOString()
      for (const item of kind === 'batch' ? (batch as unknown[]) : [payload]) ledger.rejected.push({ reason: keyProblem, event: item, path: reqPath, receivedAt })
      reply(200, { success: true })
      return
    }

    const before = ledger.events.length
    if (kind === 'batch') {
      const items = batch as unknown[]
      const defaults = { context: payload.context, integrations: payload.integrations, sentAt: payload.sentAt }
      const tooMany = items.length > SEGMENT_LIMITS.maxBatchEvents
      for (const item of items) {
        const receivedAt = new Date().toISOString()
        if (tooMany) {
          ledger.rejected.push({ reason: 'batch_too_many_events', event: item, path: reqPath, receivedAt })
          continue
        }
        if (!isRecord(item)) {
          ledger.rejected.push({ reason: 'event_not_an_object', event: item, path: reqPath, receivedAt })
          continue
        }
        const t = TYPES.find((x) => x === item.type)
        if (!t) {
          ledger.rejected.push({ reason: 'invalid_type', event: item, path: reqPath, receivedAt })
          continue
        }
        ledger.accept(item, t, reqPath, defaults)
      }
    } else {
      ledger.accept(payload, kind, reqPath, {})
    }
    const written = ledger.events.slice(before)
    entry.accepted = written.length
    if (jsonlPath && written.length) {
      try {
        appendFileSync(jsonlPath, written.map((e) => JSON.stringify(e)).join('\n') + '\n')
      } catch {
        // The file is a convenience; a bad path must not fail the tracking request.
      }
    }
    reply(200, { success: true })
  }

  return handleTracking
}
