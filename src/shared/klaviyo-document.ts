/**
 * The one check of what Klaviyo's server API answered, for every runtime (the poll's klaviyo-api
 * client, the webhook core's `fetch` look-ups). Klaviyo's API is JSON:API
 * (https://developers.klaviyo.com/en/docs/json_api_feature_guides): a list endpoint (Get Events,
 * Get Metrics, Get Profiles: https://developers.klaviyo.com/en/reference/get_events,
 * /get_metrics, /get_profiles) answers a document whose `data` is a list of resource objects
 * (`type`, `id`, `attributes`), with `included` a list when asked for, and whose `links.next` is
 * the next page's URL or null on the last page (cursor pagination:
 * https://developers.klaviyo.com/en/docs/pagination_); a single-resource endpoint (Get Metric)
 * answers `data` as one resource object.
 *
 * Anything else answered with a 2xx (a proxy's HTML maintenance page, `{"data":"nope"}`, a list of
 * strings) is not an empty page: reading it as one would move the poll's cursor past events, or
 * send a webhook's events unstitched. So it is an error the caller reports, never a default.
 */
import { isRecord } from './json'

/** A JSON:API resource object as Klaviyo sends it. */
export interface KlaviyoResource {
  type: string
  id: string
  attributes?: Record<string, unknown>
  relationships?: Record<string, unknown>
  [key: string]: unknown
}

/** A checked list document: its resources, what it included, and the next page's URL. */
export interface KlaviyoListDocument {
  data: KlaviyoResource[]
  included: KlaviyoResource[]
  /** `links.next`, or null on the last page. */
  next: string | null
}

/** The result of a check: the document, or what is wrong with it (for the error message). */
export type DocumentCheck<T> = { ok: true; document: T } | { ok: false; problem: string }

/** Check a list endpoint's answer (already parsed JSON, or the raw text when it was not JSON). */
export function readListDocument(body: unknown): DocumentCheck<KlaviyoListDocument> {
  if (!isRecord(body)) return { ok: false, problem: `not a JSON:API document (${describe(body)})` }
  if (!Array.isArray(body.data)) return { ok: false, problem: `\`data\` is not a list (${describe(body.data)})` }
  const data = resources(body.data, 'data')
  if (!Array.isArray(data)) return data
  let included: KlaviyoResource[] = []
  if (body.included !== undefined) {
    if (!Array.isArray(body.included)) return { ok: false, problem: `\`included\` is not a list (${describe(body.included)})` }
    const inc = resources(body.included, 'included')
    if (!Array.isArray(inc)) return inc
    included = inc
  }
  let next: string | null = null
  if (body.links !== undefined) {
    if (!isRecord(body.links)) return { ok: false, problem: `\`links\` is not an object (${describe(body.links)})` }
    const link = body.links.next
    if (link !== undefined && link !== null && typeof link !== 'string') return { ok: false, problem: `\`links.next\` is neither a string nor null (${describe(link)})` }
    next = typeof link === 'string' && link ? link : null
  }
  return { ok: true, document: { data, included, next } }
}

/** Check a single-resource endpoint's answer (`data` one resource object). */
export function readResourceDocument(body: unknown): DocumentCheck<KlaviyoResource> {
  if (!isRecord(body)) return { ok: false, problem: `not a JSON:API document (${describe(body)})` }
  const one = resources([body.data], 'data')
  if (!Array.isArray(one)) return one
  return { ok: true, document: one[0] }
}

function resources(list: unknown[], where: string): KlaviyoResource[] | { ok: false; problem: string } {
  for (let i = 0; i < list.length; i++) {
    const r = list[i]
    if (!isRecord(r) || typeof r.type !== 'string' || typeof r.id !== 'string' || !r.id) return { ok: false, problem: `\`${where}[${i}]\` is not a resource object with a type and an id (${describe(r)})` }
    if (r.attributes !== undefined && !isRecord(r.attributes)) return { ok: false, problem: `\`${where}[${i}].attributes\` is not an object (${describe(r.attributes)})` }
  }
  return list as KlaviyoResource[]
}

/** A short, printable description of an unexpected value: its type and its first characters. */
function describe(v: unknown): string {
  if (v === undefined) return 'missing'
  if (v === null) return 'null'
  if (typeof v === 'string') return `text ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`
  if (Array.isArray(v)) return `a list of ${v.length}`
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 40)}`
}

/** `page[cursor]` of a JSON:API `links.next` URL (the SDK only extracts it from https URLs). */
export function nextPageCursor(next: string | null | undefined): string | undefined {
  if (!next) return undefined
  try {
    return new URL(next).searchParams.get('page[cursor]') ?? undefined
  } catch {
    return undefined
  }
}
