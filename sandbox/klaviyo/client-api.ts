/**
 * The client API the browser SDK posts to (public key in `company_id`): profiles, subscriptions
 * and events. Klaviyo answers 202 with an empty body and never changes an existing identifier
 * (https://developers.klaviyo.com/en/reference/api_overview).
 */
import type http from 'node:http'
import { isRecord, sendEmpty } from '../http-util'
import type { KlaviyoClientRequest } from './emulator'
import { REVISION_RE, invalid, queryObject, str, type ApiContext } from './jsonapi'
import { dataOf, eventSubject, patchMeta, profileAttrs } from './payload'

/** Options of {@link createClientApi}. */
export interface ClientApiContext extends ApiContext {
  /** Accepted `company_id`s; null accepts any 6-character id. */
  companyIds: ReadonlySet<string> | null
  /** Keep an accepted request for {@link KlaviyoEmulator.requests}. */
  recordAccepted(request: KlaviyoClientRequest): void
}

/** The handler of `POST /client/{profiles,subscriptions,events}`; resolves to the status sent. */
export function createClientApi(ctx: ClientApiContext): (req: http.IncomingMessage, res: http.ServerResponse, u: URL, kind: 'profiles' | 'subscriptions' | 'events') => Promise<number> {
  const { store, companyIds, readJsonBody, injectFault } = ctx

  async function handleClient(req: http.IncomingMessage, res: http.ServerResponse, u: URL, kind: 'profiles' | 'subscriptions' | 'events'): Promise<number> {
    const companyId = u.searchParams.get('company_id')
    if (!companyId) throw invalid('Missing required query parameter: company_id.', { parameter: 'company_id' })
    if (companyIds ? !companyIds.has(companyId) : !/^[A-Za-z0-9]{6}$/.test(companyId)) throw invalid(`Invalid company_id: ${companyId}.`, { parameter: 'company_id' })
    const revision = req.headers.revision
    if (typeof revision !== 'string' || !revision) throw invalid('Missing required header: revision.', { header: 'revision' })
    if (!REVISION_RE.test(revision)) throw invalid(`Invalid revision header: ${revision}.`, { header: 'revision' })
    const body = await readJsonBody(req)
    if (await injectFault(res, 'client')) return res.statusCode

    if (kind === 'profiles') {
      const { data, attributes } = dataOf(body, 'profile')
      const attrs = profileAttrs(attributes, '/data/attributes', { requireIdentifier: true })
      const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
      const patch = patchMeta(data.meta ?? attributes.meta)
      if (patch) store.patchProperties(profile.id, patch)
    } else if (kind === 'subscriptions') {
      const { data, attributes } = dataOf(body, 'subscription')
      const rel = isRecord(data.relationships) ? data.relationships : undefined
      const list = rel && isRecord(rel.list) && isRecord(rel.list.data) ? rel.list.data : undefined
      if (!list) throw invalid("'list' is a required relationship.", { pointer: '/data/relationships/list' })
      if (list.type !== 'list' || typeof list.id !== 'string' || !list.id) throw invalid('The list relationship needs type "list" and an id.', { pointer: '/data/relationships/list/data' })
      const prof = isRecord(attributes.profile) && isRecord(attributes.profile.data) ? attributes.profile.data : undefined
      if (!prof || !isRecord(prof.attributes)) throw invalid("'profile' is required.", { pointer: '/data/attributes/profile' })
      if (prof.type !== undefined && prof.type !== 'profile') throw invalid('The profile must have type "profile".', { pointer: '/data/attributes/profile/data/type' })
      const attrs = profileAttrs(prof.attributes, '/data/attributes/profile/data/attributes', { requireIdentifier: false })
      if (!attrs.email && !attrs.phone_number) throw invalid('An email or phone_number is required to subscribe a profile.', { pointer: '/data/attributes/profile/data/attributes' })
      const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
      store.subscribeToList(list.id, profile.id, { channel: attrs.email ? 'email' : 'sms', customSource: str(attributes.custom_source) })
    } else {
      const { attributes } = dataOf(body, 'event')
      if (!isRecord(attributes.properties)) throw invalid("'properties' is a required object.", { pointer: '/data/attributes/properties' })
      const { metricName, attrs } = eventSubject(attributes)
      let time: number | undefined
      if (attributes.time !== undefined && attributes.time !== null) {
        time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : NaN
        if (!Number.isFinite(time)) throw invalid("'time' must be an ISO 8601 datetime.", { pointer: '/data/attributes/time' })
      }
      const properties: Record<string, unknown> = { ...attributes.properties }
      if (typeof attributes.value === 'number') properties.$value = attributes.value
      const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
      store.recordEvent({ metricName, profileId: profile.id, properties, time, uniqueId: str(attributes.unique_id) })
    }
    ctx.recordAccepted({
      method: req.method ?? 'POST',
      path: u.pathname,
      query: queryObject(u),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      body,
      at: new Date().toISOString(),
    })
    sendEmpty(res, 202)
    return 202
  }

  return handleClient
}
