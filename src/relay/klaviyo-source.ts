/**
 * Streams one metric's events for a time window out of Klaviyo's Get Events, a page at a time and
 * oldest first, each event joined with its profile from `included`. Nothing beyond the current page
 * is held, so memory does not grow with the window.
 */
import type { EventsApi } from 'klaviyo-api'
import type { KlaviyoEventLike, KlaviyoProfileLike } from '../shared/klaviyo-map'
import { toKlaviyoError } from './klaviyo-client'
import { KlaviyoResponseError } from './errors'
import { nextPageCursor, readListDocument } from '../shared/klaviyo-document'
import { filterTime, windowFilter, type EventPage, type SourceEvent, type WindowQuery } from './poll-inputs'

export { filterTime, type EventPage, type SourceEvent, type WindowQuery }

/** Default page size: Klaviyo's maximum. At 200 (its default) the steady 3,500 requests/min limit caps a poll near 11,000 events/s. */
export const DEFAULT_PAGE_SIZE = 1000

/** Reads event pages from Klaviyo's Get Events endpoint. */
export class KlaviyoSource {
  private readonly events: EventsApi
  private readonly apiBase: string
  private readonly pageSize: number

  constructor(events: EventsApi, apiBase: string, pageSize: number = DEFAULT_PAGE_SIZE) {
    this.events = events
    this.apiBase = apiBase
    this.pageSize = pageSize
  }

  /** Fetch one page of the window (first page when `query.cursor` is unset). */
  async fetchPage(query: WindowQuery): Promise<EventPage> {
    const filter = windowFilter(query)
    let raw: unknown
    try {
      ;({
        response: { data: raw },
      } = await this.events.getEvents({
        filter,
        include: ['profile'],
        // Sparse fieldsets: only what the mapper reads, which keeps pages small.
        fieldsEvent: ['datetime', 'timestamp', 'event_properties'],
        fieldsProfile: ['email', 'external_id', 'properties'],
        // Oldest first: the poller's cursor relies on it.
        sort: 'datetime',
        pageSize: this.pageSize,
        // Always a bare cursor: the SDK only extracts it from full https URLs.
        pageCursor: query.cursor,
      }))
    } catch (err) {
      throw toKlaviyoError(err, this.apiBase)
    }
    // The answer as Klaviyo sent it, checked against the documented Get Events document (the SDK's
    // deserialiser reads an HTML page as an empty page, and a `data` string as its characters).
    const doc = readListDocument(raw)
    if (!doc.ok) throw new KlaviyoResponseError('Get Events', doc.problem)
    const profiles = new Map<string, KlaviyoProfileLike>()
    for (const inc of doc.document.included) {
      if (inc.type === 'profile') profiles.set(inc.id, inc as KlaviyoProfileLike)
    }
    const events: SourceEvent[] = []
    for (const ev of doc.document.data) {
      const e = ev as KlaviyoEventLike
      const pid = e.relationships?.profile?.data?.id
      events.push({ event: e, profile: pid ? profiles.get(pid) : undefined })
    }
    return { events, nextCursor: nextPageCursor(doc.document.next) }
  }

  /** Yield the window's pages in order. The caller may call `next()` early to prefetch one page. */
  async *pages(query: WindowQuery): AsyncGenerator<EventPage, void, undefined> {
    let cursor = query.cursor
    for (;;) {
      const page = await this.fetchPage({ ...query, cursor })
      yield page
      if (!page.nextCursor || page.nextCursor === cursor) return
      cursor = page.nextCursor
    }
  }
}
