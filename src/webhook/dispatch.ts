/**
 * One fetch-style entry for every webhook the relay takes: `(Request) => Promise<Response>`.
 * Requests are told apart by their signature headers (docs/relay.md, "As a webhook endpoint"): `Klaviyo-Signature`
 * → the Klaviyo handler, `X-Shopify-Hmac-Sha256` → the Shopify handler. A source that is not
 * configured is refused with 404 and nothing sent. `GET /healthz` (and `GET /`) answers 200.
 * Every 503 leaves with Retry-After, whichever handler made it.
 */
import { DEFAULT_RETRY_AFTER_SECONDS, jsonResponse } from './http'

/** A fetch-style handler. */
export type FetchHandler = (request: Request) => Promise<Response>

/** The handlers a dispatcher routes to; leave one out when its source is not configured. */
export interface WebhookRoutes {
  klaviyo?: FetchHandler
  shopify?: FetchHandler
}

/** Route a request to the handler its signature header names. */
export function createDispatcher(routes: WebhookRoutes): FetchHandler {
  const route = dispatchTo(routes)
  return async (request) => withRetryAfter(await route(request))
}

function dispatchTo(routes: WebhookRoutes): FetchHandler {
  return async (request) => {
    const path = new URL(request.url).pathname
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (path === '/healthz' || path === '/') return jsonResponse(200, { ok: true })
      return jsonResponse(404, { ok: false, error: 'not_found' })
    }
    if (request.method !== 'POST') return jsonResponse(405, { ok: false, error: 'method_not_allowed' }, { allow: 'POST' })
    const headers = request.headers
    if (headers.has('klaviyo-signature')) {
      if (!routes.klaviyo) return refuse(request, 'klaviyo_not_configured')
      return routes.klaviyo(request)
    }
    if (headers.has('x-shopify-hmac-sha256')) {
      if (!routes.shopify) return refuse(request, 'shopify_not_configured')
      return routes.shopify(request)
    }
    return refuse(request, 'unsigned_request', 401)
  }
}

/** `response`, with Retry-After added when it is a 503 without one. */
function withRetryAfter(response: Response): Response {
  if (response.status !== 503 || response.headers.has('retry-after')) return response
  const headers = new Headers(response.headers)
  headers.set('retry-after', String(DEFAULT_RETRY_AFTER_SECONDS))
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

async function refuse(request: Request, error: string, status = 404): Promise<Response> {
  await request.body?.cancel().catch(() => undefined)
  return jsonResponse(status, { ok: false, error })
}
