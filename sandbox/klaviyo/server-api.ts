/**
 * The slice of Klaviyo's server API (private key) the relay reads with the `klaviyo-api` client:
 * events, metrics, profiles, webhook topics and accounts, JSON:API with cursor paging
 * (https://developers.klaviyo.com/en/reference/get_events). Every request is checked as Klaviyo
 * documents it, in this order: the key (401), the revision (400 for one Klaviyo never published),
 * the endpoint's scope (403), the endpoint's rate limit (429 with Retry-After; RateLimit-* headers
 * otherwise). The tables with their sources are in policy.ts.
 */
import type http from 'node:http'
import { isRecord, safeDecode, sendEmpty, sendJson } from '../http-util'
import { filterTimeMs } from './filter'
import { ApiError, JSONAPI, REVISION_RE, badField, badOperator, decodeCursor, encodeCursor, fieldsParam, invalid, pageSize, parseFilterParam, str, type ApiContext } from './jsonapi'
import { dataOf, eventSubject, patchMeta, profileAttrs } from './payload'
import { eventDocument, eventResource, metricResource, profileResource } from './resources'
import type { EventQuery, KlaviyoMetric, KlaviyoProfile } from './types'
import { KLAVIYO_SCOPES, endpointKey, isKnownRevision } from './policy'
import { rateLimitHeaders, type RateLimiter } from '../rate-limiter'

/**
 * Email webhook topics an account offers by default (GET /api/webhook-topics; the ids as the
 * developer guide "Working with system webhooks" lists them).
 */
export const DEFAULT_WEBHOOK_TOPICS: readonly string[] = [
  'event:klaviyo.received_email',
  'event:klaviyo.opened_email',
  'event:klaviyo.clicked_email',
  'event:klaviyo.bounced_email',
  'event:klaviyo.dropped_email',
  'event:klaviyo.marked_email_as_spam',
  'event:klaviyo.unsubscribed_from_email_marketing',
  'event:klaviyo.clicked_email_to_unsubscribe',
]

/** Options of {@link createServerApi}. */
export interface ServerApiContext extends ApiContext {
  /** Accepted private keys; `pk_noscope` always gets 403. */
  privateKeys: ReadonlySet<string>
  /** Keys limited to these scopes (e.g. `['metrics:read']`); keys not listed have every scope. */
  keyScopes?: Readonly<Record<string, readonly string[]>>
  /** Per-endpoint limiter (one per account); undefined: no rate limits. */
  rateLimiter?: RateLimiter
  /** Topics GET /api/webhook-topics lists. */
  webhookTopics?: readonly string[]
}

/** The handler of `/api/…`; resolves to the status sent. */
export function createServerApi(ctx: ServerApiContext): (req: http.IncomingMessage, res: http.ServerResponse, u: URL, base: string) => Promise<number> {
  const { store, privateKeys, readJsonBody, injectFault } = ctx

  /** Key, revision, scope, rate limit, in that order; returns the RateLimit-* headers to answer with. */
  function admit(req: http.IncomingMessage, method: string, path: string): Record<string, string> {
    const key = authenticate(req)
    const endpoint = endpointKey(method, path)
    const scope = KLAVIYO_SCOPES[endpoint]
    const granted = ctx.keyScopes?.[key]
    if (scope && granted && !granted.includes(scope)) {
      throw new ApiError(403, 'permission_denied', 'You do not have permission to perform this action.', `This API key is missing required scopes: ${scope}.`)
    }
    const decision = ctx.rateLimiter?.take(endpoint, store.accountId)
    if (!decision) return {}
    if (!decision.allowed) {
      const s = decision.retryAfterSeconds
      throw Object.assign(new ApiError(429, 'throttled', 'Request was throttled.', `Request was throttled. Expected available in ${s} second${s === 1 ? '' : 's'}.`), { headers: rateLimitHeaders(decision) })
    }
    return rateLimitHeaders(decision)
  }

  function authenticate(req: http.IncomingMessage): string {
    const auth = req.headers.authorization
    const m = typeof auth === 'string' ? /^Klaviyo-API-Key\s+(\S+)\s*$/i.exec(auth) : null
    if (!m) throw new ApiError(401, 'not_authenticated', 'Authentication credentials were not provided.', 'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.')
    if (m[1] === 'pk_noscope') throw new ApiError(403, 'permission_denied', 'You do not have permission to perform this action.', 'This API key is missing required scopes.')
    if (!privateKeys.has(m[1])) throw new ApiError(401, 'authentication_failed', 'Incorrect authentication credentials.', 'The private API key is invalid.')
    const revision = req.headers.revision
    if (typeof revision !== 'string' || !revision) throw invalid('Missing required header: revision.', { header: 'revision' })
    if (!REVISION_RE.test(revision)) throw invalid(`Invalid revision header: ${revision}.`, { header: 'revision' })
    // "Note that the revision passed in must be a valid revision" (api_versioning_and_deprecation_policy).
    if (!isKnownRevision(revision)) throw invalid(`Invalid revision: ${revision} is not a published API revision.`, { header: 'revision' })
    return m[1]
  }

  function nextLink(base: string, u: URL, cursor: string): string {
    const q = new URLSearchParams(u.searchParams)
    q.set('page[cursor]', cursor)
    return `${base}${u.pathname.replace(/\/?$/, '/')}?${q.toString()}`
  }

  function getEvents(u: URL, base: string): unknown {
    const rawCursor = u.searchParams.get('page[cursor]')
    const cur = rawCursor ? decodeCursor(rawCursor) : undefined
    const filterRaw = u.searchParams.get('filter') ?? str(cur?.f)
    const sort = u.searchParams.get('sort') ?? str(cur?.s) ?? 'datetime'
    if (!['datetime', '-datetime', 'timestamp', '-timestamp'].includes(sort)) throw invalid(`'${sort}' is not a valid sort for the resource 'event'.`, { parameter: 'sort' })
    const size = pageSize(u, typeof cur?.n === 'number' ? cur.n : undefined, 200, 1000)
    const q: EventQuery = { limit: size, descending: sort.startsWith('-') }
    for (const term of parseFilterParam(filterRaw)) {
      const { op, field, value } = term
      if (field === 'metric_id' || field === 'profile_id') {
        if (op !== 'equals') throw badOperator(op, field)
        if (typeof value !== 'string') throw invalid(`'${field}' must be compared with a string.`, { parameter: 'filter' })
        if (field === 'metric_id') q.metricId = value
        else q.profileId = value
      } else if (field === 'datetime' || field === 'timestamp') {
        const ms = filterTimeMs(value)
        if (!Number.isFinite(ms)) throw invalid(`Invalid datetime in filter: ${JSON.stringify(value)}.`, { parameter: 'filter' })
        if (op === 'greater-than') q.gt = Math.max(q.gt ?? -Infinity, ms)
        else if (op === 'greater-or-equal') q.gte = Math.max(q.gte ?? -Infinity, ms)
        else if (op === 'less-than') q.lt = Math.min(q.lt ?? Infinity, ms)
        else if (op === 'less-or-equal') q.lte = Math.min(q.lte ?? Infinity, ms)
        else throw badOperator(op, field)
      } else if (field === 'profile' || field === 'metric') {
        if (op !== 'has') throw badOperator(op, field)
      } else {
        throw badField(field, 'event')
      }
    }
    if (cur) {
      const k = cur.k
      if (!Array.isArray(k) || typeof k[0] !== 'number' || typeof k[1] !== 'string') throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' })
      q.after = { t: k[0], id: k[1] }
    }
    const include = new Set((u.searchParams.get('include') ?? '').split(',').map((x) => x.trim()).filter(Boolean))
    for (const inc of include) if (!['profile', 'metric', 'attributions'].includes(inc)) throw invalid(`'${inc}' is not a valid relationship for include.`, { parameter: 'include' })
    const { events, more } = store.queryEvents(q)
    const fEvent = fieldsParam(u, 'event')
    const fProfile = fieldsParam(u, 'profile')
    const fMetric = fieldsParam(u, 'metric')
    const included: Array<Record<string, unknown>> = []
    const seen = new Set<string>()
    for (const e of events) {
      if (include.has('profile') && !seen.has(`p:${e.profile_id}`)) {
        seen.add(`p:${e.profile_id}`)
        const p = store.getProfile(e.profile_id)
        if (p) included.push(profileResource(p, base, fProfile))
      }
      if (include.has('metric') && !seen.has(`m:${e.metric_id}`)) {
        seen.add(`m:${e.metric_id}`)
        const m = store.getMetric(e.metric_id)
        if (m) included.push(metricResource(m, base, fMetric))
      }
    }
    const last = events[events.length - 1]
    const next = more && last ? nextLink(base, u, encodeCursor({ k: [last.timestamp * 1000, last.id], f: filterRaw ?? undefined, s: sort, n: size })) : null
    return {
      data: events.map((e) => eventResource(e, base, fEvent)),
      links: { self: `${base}${u.pathname}${u.search}`, next, prev: null },
      ...(include.size ? { included } : {}),
    }
  }

  function getMetrics(u: URL, base: string): unknown {
    const rawCursor = u.searchParams.get('page[cursor]')
    const cur = rawCursor ? decodeCursor(rawCursor) : undefined
    const filterRaw = u.searchParams.get('filter') ?? str(cur?.f)
    const preds: Array<(m: KlaviyoMetric) => boolean> = []
    for (const { op, field, value } of parseFilterParam(filterRaw)) {
      if (field !== 'integration.name' && field !== 'integration.category') throw badField(field, 'metric')
      if (op !== 'equals') throw badOperator(op, field)
      const key = field === 'integration.name' ? 'name' : 'category'
      preds.push((m) => m.integration[key] === value)
    }
    const all = store.metrics().filter((m) => preds.every((p) => p(m)))
    const offset = typeof cur?.o === 'number' ? cur.o : 0
    const size = 200
    const page = all.slice(offset, offset + size)
    const next = offset + size < all.length ? nextLink(base, u, encodeCursor({ o: offset + size, f: filterRaw ?? undefined })) : null
    return { data: page.map((m) => metricResource(m, base, fieldsParam(u, 'metric'))), links: { self: `${base}${u.pathname}${u.search}`, next, prev: null } }
  }

  /**
   * Get Profiles (Klaviyo API reference, https://developers.klaviyo.com/en/reference/get_profiles):
   * `filter` on `id`, `email`, `phone_number`, `external_id` with `equals` or `any` (a list, e.g.
   * `any(id,["…","…"])`, which the webhook relay uses for batched look-ups), `_kx` with `equals`
   * only, and `created` / `updated` with `greater-than` / `less-than` only; `page[size]` 1–100
   * (default 20); sparse `fields[profile]`. `equals(email,"…")` (the relay's look-up of a Shopify
   * order's email) answers a list of at most one profile. An id Klaviyo does not know is
   * simply absent from `data` (no error). Get Profile by id (/api/profiles/{id}, reference
   * "get_profile") answers 404 for an unknown id.
   */
  function getProfiles(u: URL, base: string): unknown {
    const rawCursor = u.searchParams.get('page[cursor]')
    const cur = rawCursor ? decodeCursor(rawCursor) : undefined
    const filterRaw = u.searchParams.get('filter') ?? str(cur?.f)
    const sort = u.searchParams.get('sort') ?? str(cur?.s) ?? 'id'
    const sortKey = sort.replace(/^-/, '')
    if (!['id', 'created', 'updated', 'email'].includes(sortKey)) throw invalid(`'${sort}' is not a valid sort for the resource 'profile'.`, { parameter: 'sort' })
    const size = pageSize(u, typeof cur?.n === 'number' ? cur.n : undefined, 20, 100)
    const preds: Array<(p: KlaviyoProfile) => boolean> = []
    const idLookups: Array<() => KlaviyoProfile[]> = []
    for (const { op, field, value } of parseFilterParam(filterRaw)) {
      if (['email', 'phone_number', 'external_id', 'id', '_kx'].includes(field)) {
        const f = field as 'email' | 'phone_number' | 'external_id' | 'id' | '_kx'
        if (op !== 'equals' && !(op === 'any' && f !== '_kx')) throw badOperator(op, field)
        const values = (op === 'any' ? (Array.isArray(value) ? value : []) : [value]).filter((v): v is string => typeof v === 'string')
        const norm = (v: string | null) => (v === null ? null : f === 'email' ? v.toLowerCase() : v)
        const set = new Set(values.map((v) => norm(v)))
        preds.push((p) => set.has(norm(p[f])))
        idLookups.push(() => values.flatMap((v) => store.findProfile({ [f]: v }) ?? []))
      } else if (field === 'created' || field === 'updated') {
        const ms = filterTimeMs(value)
        if (!Number.isFinite(ms)) throw invalid(`Invalid datetime in filter: ${JSON.stringify(value)}.`, { parameter: 'filter' })
        // Get Profiles allows only these two on created/updated (its `filter` parameter's list).
        const cmp: Record<string, (a: number) => boolean> = {
          'greater-than': (a) => a > ms,
          'less-than': (a) => a < ms,
        }
        const c = cmp[op]
        if (!c) throw badOperator(op, field)
        preds.push((p) => c(Date.parse(p[field])))
      } else {
        throw badField(field, 'profile')
      }
    }
    // Identity filters resolve through the indexes (synthetic profiles included); otherwise list.
    let candidates: KlaviyoProfile[]
    if (idLookups.length) {
      const byId = new Map<string, KlaviyoProfile>()
      for (const p of idLookups[0]()) byId.set(p.id, p)
      candidates = [...byId.values()]
    } else {
      candidates = store.listProfiles()
    }
    candidates = candidates.filter((p) => preds.every((pr) => pr(p)))
    const dir = sort.startsWith('-') ? -1 : 1
    candidates.sort((a, b) => {
      const av = String(a[sortKey as 'id'] ?? '')
      const bv = String(b[sortKey as 'id'] ?? '')
      return (av < bv ? -1 : av > bv ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * dir
    })
    const offset = typeof cur?.o === 'number' ? cur.o : 0
    let page = candidates.slice(offset, offset + size)
    let total = candidates.length
    // Synthetic profiles follow the materialised ones in unfiltered listings (no sort applied).
    const synCount = !idLookups.length && !preds.length ? (store.syntheticInfo()?.profiles ?? 0) : 0
    if (synCount) {
      total += synCount
      for (let k = Math.max(offset, candidates.length); page.length < size && k < total; k++) {
        const p = store.syntheticProfileAt(k - candidates.length)
        if (p) page = [...page, p]
      }
    }
    const next = offset + size < total ? nextLink(base, u, encodeCursor({ o: offset + size, f: filterRaw ?? undefined, s: sort, n: size })) : null
    return { data: page.map((p) => profileResource(p, base, fieldsParam(u, 'profile'))), links: { self: `${base}${u.pathname}${u.search}`, next, prev: null } }
  }

  async function handleServer(req: http.IncomingMessage, res: http.ServerResponse, u: URL, base: string): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase()
    const p = u.pathname.replace(/\/+$/, '')
    const limitHeaders = admit(req, method, p)
    const allow = (methods: string) => {
      if (!methods.split(', ').includes(method)) throw Object.assign(new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${method}" not allowed.`), { allow: methods })
    }
    let m: RegExpExecArray | null
    let body: unknown
    let status = 200
    if (['POST', 'PATCH', 'PUT'].includes(method)) body = await readJsonBody(req)
    if (await injectFault(res, 'server')) return res.statusCode
    let out: unknown
    if (p === '/api/events') {
      allow('GET, POST')
      if (method === 'GET') out = getEvents(u, base)
      else {
        const { attributes } = dataOf(body, 'event')
        const { metricName, attrs } = eventSubject(attributes)
        const time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : undefined
        if (time !== undefined && !Number.isFinite(time)) throw invalid("'time' must be an ISO 8601 datetime.", { pointer: '/data/attributes/time' })
        const { profile } = store.createOrUpdateProfile(attrs, { mode: 'client' })
        store.recordEvent({ metricName, profileId: profile.id, properties: isRecord(attributes.properties) ? attributes.properties : {}, time, uniqueId: str(attributes.unique_id) })
        sendEmpty(res, 202)
        return 202
      }
    } else if ((m = /^\/api\/events\/([^/]+)$/.exec(p))) {
      allow('GET')
      const e = store.getEvent(safeDecode(m[1]) ?? '')
      if (!e) throw new ApiError(404, 'not_found', 'Not found.', `An event with id ${m[1]} does not exist.`)
      const include = new Set((u.searchParams.get('include') ?? '').split(',').filter(Boolean))
      const doc = eventDocument(store, e, base, [...include].filter((x): x is 'profile' | 'metric' => x === 'profile' || x === 'metric'))
      out = include.size ? doc : { data: doc.data }
    } else if (p === '/api/metrics') {
      allow('GET')
      out = getMetrics(u, base)
    } else if ((m = /^\/api\/metrics\/([^/]+)$/.exec(p))) {
      allow('GET')
      const metric = store.getMetric(safeDecode(m[1]) ?? '')
      if (!metric) throw new ApiError(404, 'not_found', 'Not found.', `A metric with id ${m[1]} does not exist.`)
      out = { data: metricResource(metric, base, fieldsParam(u, 'metric')) }
    } else if (p === '/api/webhook-topics') {
      allow('GET')
      // developers.klaviyo.com/en/reference/get_webhook_topics: {data: [{type: 'webhook-topic', id, attributes: {name}}]}
      out = {
        data: (ctx.webhookTopics ?? DEFAULT_WEBHOOK_TOPICS).map((id) => ({ type: 'webhook-topic', id, attributes: { name: topicName(id) }, links: { self: `${base}/api/webhook-topics/${encodeURIComponent(id)}/` } })),
        links: { self: `${base}${u.pathname}${u.search}`, next: null, prev: null },
      }
    } else if (p === '/api/accounts') {
      allow('GET')
      // developers.klaviyo.com/en/reference/get_accounts: the account of the key, with its public key.
      out = {
        data: [
          {
            type: 'account',
            id: store.accountId,
            attributes: {
              test_account: false,
              contact_information: { default_sender_name: 'Sandbox Store', default_sender_email: 'hello@shop.example', website_url: 'https://shop.example', organization_name: 'Sandbox Store', street_address: {} },
              industry: 'Retail',
              timezone: 'UTC',
              preferred_currency: 'USD',
              public_api_key: store.accountId,
              locale: 'en-US',
            },
            links: { self: `${base}/api/accounts/${store.accountId}/` },
          },
        ],
        links: { self: `${base}${u.pathname}${u.search}`, next: null, prev: null },
      }
    } else if (p === '/api/profiles') {
      allow('GET')
      out = getProfiles(u, base)
    } else if ((m = /^\/api\/profiles\/([^/]+)$/.exec(p))) {
      allow('GET, PATCH')
      const id = safeDecode(m[1]) ?? ''
      const existing = store.getProfile(id)
      if (!existing) throw new ApiError(404, 'not_found', 'Not found.', `A profile with id ${id} does not exist.`)
      if (method === 'PATCH') {
        if (!store.hasProfile(id)) throw invalid('Synthetic profiles are read-only in the emulator.', { pointer: '/data/id' })
        const { data, attributes } = dataOf(body, 'profile')
        if (data.id !== id) throw new ApiError(409, 'conflict', 'Conflict.', 'The id in the body does not match the id in the URL.', { pointer: '/data/id' })
        const attrs = profileAttrs(attributes, '/data/attributes', { requireIdentifier: false })
        const { profile } = store.createOrUpdateProfile({ ...attrs, id }, { mode: 'server' })
        const patch = patchMeta(data.meta)
        if (patch) store.patchProperties(profile.id, patch)
        out = { data: profileResource(profile, base) }
      } else {
        out = { data: profileResource(existing, base, fieldsParam(u, 'profile')) }
      }
    } else if (p === '/api/profile-import') {
      allow('POST')
      const { data, attributes } = dataOf(body, 'profile')
      const attrs = profileAttrs(attributes, '/data/attributes', { requireIdentifier: typeof data.id !== 'string' })
      const id = str(data.id)
      if (id && !store.hasProfile(id)) throw new ApiError(404, 'not_found', 'Not found.', `A profile with id ${id} does not exist.`)
      const { profile, created } = store.createOrUpdateProfile({ ...attrs, ...(id ? { id } : {}) }, { mode: 'server' })
      const patch = patchMeta(data.meta)
      if (patch) store.patchProperties(profile.id, patch)
      status = created ? 201 : 200
      out = { data: profileResource(profile, base) }
    } else {
      throw new ApiError(404, 'not_found', 'Not found.', `No endpoint ${method} ${u.pathname} in the emulator.`)
    }
    sendJson(res, status, out, limitHeaders, JSONAPI)
    return status
  }

  return handleServer
}

/** "event:klaviyo.opened_email" → "Opened Email". */
function topicName(id: string): string {
  const slug = id.replace(/^event:klaviyo\./, '')
  return slug.split('_').map((w) => (w === 'to' || w === 'from' || w === 'as' ? w : w[0].toUpperCase() + w.slice(1))).join(' ')
}
