/**
 * Find the ids of the Klaviyo email metrics the relay forwards. Klaviyo's Get Events filter takes a
 * metric id, not a name, and only `integration.name` can be filtered on the metrics endpoint, so we
 * list Klaviyo's own metrics and match names here.
 */
import type { MetricsApi } from 'klaviyo-api'
import { KlaviyoResponseError } from './errors'
import { nextPageCursor, readListDocument } from '../shared/klaviyo-document'
import { toKlaviyoError } from './klaviyo-client'
import { pickEmailMetrics, type EmailMetric } from './poll-inputs'

export type { EmailMetric }

/**
 * List the account's Klaviyo-integration metrics and keep those in the contract table (only
 * `Unsubscribed from Email Marketing` when the account has both unsubscribe metrics).
 * Throws {@link UnknownMetricError} when none of them exists (a fresh account, or a key of another account).
 */
export async function findEmailMetrics(metrics: MetricsApi, apiBase: string): Promise<EmailMetric[]> {
  const listed: Array<{ id: string; name: unknown }> = []
  let cursor: string | undefined
  // Metrics are few (tens); a page cap only guards against a server that never stops paging.
  for (let page = 0; page < 100; page++) {
    let raw: unknown
    try {
      ;({
        response: { data: raw },
      } = await metrics.getMetrics({
        // Only metrics Klaviyo itself records: a custom "Opened Email" metric from another source must not be relayed.
        filter: 'equals(integration.name,"Klaviyo")',
        fieldsMetric: ['name', 'integration'],
        pageCursor: cursor,
      }))
    } catch (err) {
      throw toKlaviyoError(err, apiBase)
    }
    const doc = readListDocument(raw)
    if (!doc.ok) throw new KlaviyoResponseError('Get Metrics', doc.problem)
    for (const m of doc.document.data) listed.push({ id: m.id, name: m.attributes?.name })
    cursor = nextPageCursor(doc.document.next)
    if (!cursor) break
  }
  return pickEmailMetrics(listed)
}
