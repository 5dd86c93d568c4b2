/** The emulator's own inspection API under `/_/` (not Klaviyo's): read state, reset, simulate an email event. */
import type http from 'node:http'
import { isRecord, sendJson } from '../http-util'
import type { KlaviyoClientRequest } from './emulator'
import { ApiError, invalid, str, type ApiContext } from './jsonapi'

/** Options of {@link createInspectApi}. */
export interface InspectApiContext extends ApiContext {
  /** Accepted client requests, oldest first. */
  requests(): KlaviyoClientRequest[]
  /** Reset the whole emulator. */
  reset(): void
}

/** The handler of `/_/…`; resolves to the status sent. */
export function createInspectApi(ctx: InspectApiContext): (req: http.IncomingMessage, res: http.ServerResponse, u: URL) => Promise<number> {
  const { store, readJsonBody } = ctx

  async function handleInspect(req: http.IncomingMessage, res: http.ServerResponse, u: URL): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase()
    const p = u.pathname
    if (method === 'GET' && p === '/_/profiles') sendJson(res, 200, store.listProfiles())
    else if (method === 'GET' && p === '/_/events') sendJson(res, 200, store.events().map((e) => ({ ...e, metric: store.getMetric(e.metric_id)?.name })))
    else if (method === 'GET' && p === '/_/metrics') sendJson(res, 200, store.metrics())
    else if (method === 'GET' && p === '/_/requests') sendJson(res, 200, ctx.requests())
    else if (method === 'POST' && p === '/_/reset') {
      req.resume()
      ctx.reset()
      sendJson(res, 200, { ok: true })
    } else if (method === 'POST' && p === '/_/events') {
      // Lets a page or script simulate an email event: {metricName, email|profileId, properties, time}.
      const body = await readJsonBody(req)
      if (!isRecord(body) || typeof body.metricName !== 'string') throw invalid("Body needs 'metricName' and 'email' or 'profileId'.")
      const profileId = str(body.profileId) ?? (typeof body.email === 'string' ? store.findProfile({ email: body.email })?.id : undefined)
      if (!profileId) throw new ApiError(404, 'not_found', 'Not found.', 'No such profile.')
      const event = store.recordEvent({
        metricName: body.metricName,
        profileId,
        properties: isRecord(body.properties) ? body.properties : {},
        time: typeof body.time === 'string' || typeof body.time === 'number' ? body.time : undefined,
      })
      sendJson(res, 201, event)
    } else if ((method === 'GET' || method === 'POST') && /^\/_\/(profiles|events|metrics|requests|reset)$/.test(p)) {
      sendJson(res, 405, new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${method}" not allowed.`).body())
    } else sendJson(res, 404, new ApiError(404, 'not_found', 'Not found.', `No endpoint ${u.pathname}.`).body())
    return res.statusCode
  }

  return handleInspect
}
