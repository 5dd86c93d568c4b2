/** JSON:API errors, paging cursors and query helpers shared by the emulator's endpoints. */
import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import { isRecord, parseJson } from '../http-util'
import { parseFilter, type FilterTerm } from './filter'
import type { Fields } from './resources'
import type { KlaviyoStore } from './store'

/** What the endpoint modules share with the running emulator. */
export interface ApiContext {
  store: KlaviyoStore
  /** Parse a JSON body (413 / 400 as {@link ApiError}). */
  readJsonBody(req: http.IncomingMessage): Promise<unknown>
  /** Answer with an injected fault if one is due for `api`; true when it did. */
  injectFault(res: http.ServerResponse, api: 'client' | 'server'): Promise<boolean>
}

/** Klaviyo's JSON:API error document. */
export interface KlaviyoErrorBody {
  errors: Array<{ id: string; status: number; code: string; title: string; detail: string; source?: Record<string, string>; links?: Record<string, string>; meta?: Record<string, unknown> }>
}

/** An error answered as a Klaviyo JSON:API error document. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly source?: Record<string, string>,
    readonly meta?: Record<string, unknown>,
  ) {
    super(detail)
  }
  body(): KlaviyoErrorBody {
    return { errors: [{ id: randomUUID(), status: this.status, code: this.code, title: this.title, detail: this.detail, source: this.source ?? {}, links: {}, meta: this.meta ?? {} }] }
  }
}

/** A 400 `invalid` error. */
export const invalid = (detail: string, source?: Record<string, string>) => new ApiError(400, 'invalid', 'Invalid input.', detail, source)

/** A valid `revision` header (date, optional suffix). */
export const REVISION_RE = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/
/** JSON:API media type. */
export const JSONAPI = 'application/vnd.api+json'

/** The query string as a plain object. */
export function queryObject(u: URL): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of u.searchParams) out[k] = v
  return out
}

// `location.city` keeps the whole `location` object: nested sparse fields are not narrowed.
/** The sparse fieldset asked for `type`, if any. */
export function fieldsParam(u: URL, type: string): Fields {
  const v = u.searchParams.get(`fields[${type}]`)
  return v ? new Set(v.split(',').map((x) => x.trim().split('.')[0]).filter(Boolean)) : undefined
}

/** A string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

// Cursors are opaque to callers: base64url JSON with the position and the query that made it,
// so a caller passing only `page[cursor]` (the klaviyo-api client with an http base) still gets
// the same result set.
/** Cursor of an event listing: the last (time, id) and the query. */
export interface EventCursor {
  k: [number, string]
  f?: string
  s?: string
  n?: number
}
/** Cursor of an offset listing (metrics, profiles) and the query. */
export interface OffsetCursor {
  o: number
  f?: string
  s?: string
  n?: number
}
/** Opaque cursor string. */
export function encodeCursor(c: EventCursor | OffsetCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url')
}
/** A cursor back (or a whole `links.next` URL); 400 when invalid. */
export function decodeCursor(raw: string): Record<string, unknown> {
  let value = raw
  // klaviyo-api only extracts page[cursor] from https links; with an http emulator the whole
  // `links.next` URL arrives as the cursor.
  if (/^https?:\/\//.test(value) || value.includes('page[cursor]=') || value.includes('page%5Bcursor%5D=')) {
    try {
      const u = new URL(value, 'http://x.invalid')
      value = u.searchParams.get('page[cursor]') ?? ''
    } catch {
      throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' })
    }
  }
  const parsed = parseJson(Buffer.from(value, 'base64url').toString('utf8'))
  if (!parsed.ok || !isRecord(parsed.value)) throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' })
  return parsed.value
}

/** `page[size]` within 1…max, else the cursor's or the default. */
export function pageSize(u: URL, fallback: number | undefined, def: number, max: number): number {
  const raw = u.searchParams.get('page[size]')
  if (raw === null) return fallback ?? def
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalid(`page[size] must be an integer between 1 and ${max}.`, { parameter: 'page[size]' })
  return n
}

/** The `filter` parameter parsed; 400 when invalid. */
export function parseFilterParam(raw: string | undefined): FilterTerm[] {
  if (!raw) return []
  try {
    return parseFilter(raw)
  } catch (err) {
    throw invalid(`Invalid filter provided: ${err instanceof Error ? err.message : String(err)}`, { parameter: 'filter' })
  }
}

/** A 400 for a field the resource cannot be filtered on. */
export function badField(field: string, resource: string): ApiError {
  return invalid(`'${field}' is not a valid field for the resource '${resource}'.`, { parameter: 'filter' })
}

/** A 400 for an operator the field does not support. */
export function badOperator(op: string, field: string): ApiError {
  return invalid(`'${op}' is not a valid operator for the field '${field}'.`, { parameter: 'filter' })
}
