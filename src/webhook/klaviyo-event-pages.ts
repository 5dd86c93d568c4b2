/**
 * The poll's Klaviyo reads on Cloudflare Workers: Get Metrics (to find the email metrics) and Get
 * Events (one metric's window, a page at a time, oldest first, with `include=profile`), over plain
 * `fetch`. Not klaviyo-api: that SDK is built on axios over node:http and does not run on workerd
 * without Node compatibility, which this Worker does not turn on. The requests are the ones the
 * CLI's klaviyo-api source makes (src/relay/klaviyo-source.ts, metrics.ts: same filter, sparse
 * fieldsets, sort and page size), every answer is checked by the same JSON:API document check
 * (shared/klaviyo-document.ts), and the metrics are picked by the same rule (relay/poll-inputs.ts).
 *
 * Each request is counted against the pass's budget (pass-budget.ts). A 429 or 5xx is retried
 * after its Retry-After (the one rule in retry.ts) while the budget and the deadline allow; when
 * they do not, the pass is told to stop (`onSpent`), so it saves and leaves the page to the next
 * trigger instead of failing.
 */
import type { KlaviyoProfileLike, KlaviyoEventLike } from '../shared/klaviyo-map'
import { nextPageCursor, readListDocument, type KlaviyoListDocument } from '../shared/klaviyo-document'
import { DEFAULT_KLAVIYO_API_BASE, KLAVIYO_REVISION } from '../shared/klaviyo-endpoint'
import { KlaviyoApiError, KlaviyoAuthError, KlaviyoResponseError, UnreachableHostError } from '../relay/errors'
import { pickEmailMetrics, windowFilter, type EmailMetric, type EventPage, type SourceEvent, type WindowQuery } from '../relay/poll-inputs'
import { retryAfterMs, retryUntilDeadline, sleep } from './retry'
import type { PassBudget } from './pass-budget'

/** The pass ran out of its budget or time; the poll was told to stop and saves what it did. */
export class PassBudgetSpent extends Error {
  constructor(what: string) {
    super(`pass budget spent: ${what}; the next trigger resumes`)
    this.name = 'PassBudgetSpent'
  }
}

/** Options of {@link KlaviyoEventPages}. */
export interface KlaviyoEventPagesOptions {
  privateKey: string
  /** Default https://a.klaviyo.com. */
  apiBase?: string
  /** Events per page; default (and Klaviyo's maximum) 1,000. */
  pageSize?: number
  budget: PassBudget
  /** Called once when the budget or the deadline is spent, before {@link PassBudgetSpent} is thrown. */
  onSpent: () => void
  /** Per-request time-out, ms. Default 15,000. */
  timeoutMs?: number
}

/** Reads metrics and event pages from Klaviyo's REST API with `fetch`. */
export class KlaviyoEventPages {
  private readonly o: KlaviyoEventPagesOptions
  private readonly apiBase: string

  constructor(options: KlaviyoEventPagesOptions) {
    this.o = options
    this.apiBase = (options.apiBase || DEFAULT_KLAVIYO_API_BASE).replace(/\/+$/, '')
  }

  /** The account's email metrics (Klaviyo's own, by the CLI's rule). */
  async emailMetrics(): Promise<EmailMetric[]> {
    const listed: Array<{ id: string; name: unknown }> = []
    let cursor: string | undefined
    // Metrics are few (tens); the cap only guards against a server that never stops paging.
    for (let page = 0; page < 20; page++) {
      const params = new URLSearchParams({ filter: 'equals(integration.name,"Klaviyo")', 'fields[metric]': 'name,integration' })
      if (cursor) params.set('page[cursor]', cursor)
      const doc = await this.getList(`/api/metrics?${params}`, 'Get Metrics')
      for (const m of doc.data) listed.push({ id: m.id, name: m.attributes?.name })
      cursor = nextPageCursor(doc.next)
      if (!cursor) break
    }
    return pickEmailMetrics(listed)
  }

  /** Yield the window's pages in order; stops the pass (see the module comment) rather than start a page it cannot finish. */
  async *pages(query: WindowQuery): AsyncGenerator<EventPage, void, undefined> {
    let cursor = query.cursor
    for (;;) {
      if (!this.o.budget.startPage()) this.spent('no room for another page')
      const page = await this.fetchPage({ ...query, cursor })
      yield page
      if (!page.nextCursor || page.nextCursor === cursor) return
      cursor = page.nextCursor
    }
  }

  private async fetchPage(query: WindowQuery): Promise<EventPage> {
    const params = new URLSearchParams({
      filter: windowFilter(query),
      include: 'profile',
      // Sparse fieldsets: only what the mapper reads, which keeps pages small.
      'fields[event]': 'datetime,timestamp,event_properties',
      'fields[profile]': 'email,external_id,properties',
      // Oldest first: the poller's cursor relies on it.
      sort: 'datetime',
      'page[size]': String(this.o.pageSize ?? 1000),
    })
    if (query.cursor) params.set('page[cursor]', query.cursor)
    const doc = await this.getList(`/api/events?${params}`, 'Get Events')
    const profiles = new Map<string, KlaviyoProfileLike>()
    for (const inc of doc.included) if (inc.type === 'profile') profiles.set(inc.id, inc as KlaviyoProfileLike)
    const events: SourceEvent[] = []
    for (const ev of doc.data) {
      const e = ev as KlaviyoEventLike
      const pid = e.relationships?.profile?.data?.id
      events.push({ event: e, profile: pid ? profiles.get(pid) : undefined })
    }
    return { events, nextCursor: nextPageCursor(doc.next) }
  }

  private spent(what: string): never {
    this.o.onSpent()
    throw new PassBudgetSpent(what)
  }

  /** GET a JSON:API list; retried per retry.ts while the pass may spend; typed errors as the CLI's. */
  private async getList(path: string, call: string): Promise<KlaviyoListDocument> {
    const budget = this.o.budget
    const url = `${this.apiBase}${path}`
    try {
      return await this.retrying(url, call)
    } catch (err) {
      // Throttled past what this pass may wait: the next trigger reads the page instead.
      if (err instanceof KlaviyoApiError && err.status === 429) this.spent(`Klaviyo throttled ${call} past the pass's deadline`)
      throw err
    }
  }

  private retrying(url: string, call: string): Promise<KlaviyoListDocument> {
    const budget = this.o.budget
    return retryUntilDeadline<KlaviyoListDocument>(
      async (n) => {
        if (n > 0 && !budget.canSpend()) this.spent(`no subrequest left to retry ${call}`)
        let res: Response
        try {
          res = await budget.fetch(url, {
            headers: { authorization: `Klaviyo-API-Key ${this.o.privateKey}`, revision: KLAVIYO_REVISION, accept: 'application/vnd.api+json' },
            signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
          })
        } catch (err) {
          return { ok: false, failure: new UnreachableHostError('Klaviyo', this.apiBase, err), retry: true }
        }
        const text = await res.text()
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON: the document check below names it
        }
        if (res.ok) {
          const doc = readListDocument(body)
          if (doc.ok) return { ok: true, value: doc.document }
          return { ok: false, failure: new KlaviyoResponseError(call, doc.problem), retry: true }
        }
        const detail = errorDetail(body) ?? `HTTP ${res.status}`
        if (res.status === 401 || res.status === 403) return { ok: false, failure: new KlaviyoAuthError(res.status, detail), retry: false }
        return { ok: false, failure: new KlaviyoApiError(res.status, detail), retry: res.status === 429 || res.status >= 500, retryAfterMs: retryAfterMs(res.headers) }
      },
      { baseDelayMs: 500, maxAttempts: 6, jitter: true },
      budget.limits.deadline,
      { now: Date.now, sleep },
    )
  }
}

function errorDetail(body: unknown): string | undefined {
  const errors = (body as { errors?: Array<{ detail?: unknown; title?: unknown }> } | undefined)?.errors
  const first = Array.isArray(errors) ? errors[0] : undefined
  const d = first?.detail ?? first?.title
  return typeof d === 'string' ? d : undefined
}
