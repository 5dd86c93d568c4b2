/** Small Request/Response helpers shared by the webhook handlers (Web APIs only). */

/** Default request body cap: 4 MiB. A Klaviyo batch of 1,000 events with profiles included can pass 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

/**
 * Retry-After of every 503 the relay answers, seconds: Klaviyo and Shopify retry failed deliveries
 * on their own schedules; the header tells them (and any proxy) when trying again makes sense.
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 30

/** JSON body of a webhook answer. */
export interface WebhookResponseBody {
  ok: boolean
  /** Why the request was refused (absent on success). */
  error?: string
  received?: number
  sent?: number
  skipped?: number
  /** messageIds Segment refused for good (answered 200 all the same: a redelivery would be refused again). */
  refused?: string[]
}

/** A JSON response with `content-type: application/json`. */
export function jsonResponse(status: number, body: WebhookResponseBody | Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/**
 * Read a request body, but never more than `limit` bytes: a declared Content-Length over the cap
 * is refused before reading, and a stream that grows past it is cancelled. Resolves to the bytes,
 * or `'too_large'`.
 */
export async function readBodyCapped(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | 'too_large'> {
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) return 'too_large'
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return 'too_large'
    }
    chunks.push(value)
  }
  // One contiguous copy, backed by its own ArrayBuffer (what crypto.subtle's typings ask for).
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}
