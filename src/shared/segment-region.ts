/**
 * Segment's regional Tracking API hosts, one table for the Node relay and the Web-API webhook core.
 * An EU workspace must post to the EU endpoint: posted to api.segment.io its events are answered
 * 200 and never appear (segment-docs, connections/sources/catalog/libraries/server/http-api: "If
 * you are located in the EU and use the https://api.segment.io/v1/ endpoint, you might not see any
 * errors, but your events will not appear in the Segment app"; guides/regional-segment: EU West
 * ingestion "using the events.eu1.segmentapis.com endpoint").
 */

/** A Segment data-processing region. */
export type SegmentRegion = 'us' | 'eu'

/** Tracking API origin per region. */
export const SEGMENT_REGION_HOSTS: Readonly<Record<SegmentRegion, string>> = {
  us: 'https://api.segment.io',
  eu: 'https://events.eu1.segmentapis.com',
}

/** The Tracking API origin: an explicit host (SEGMENT_API_HOST) wins, else the region's (`eu`, any case), else the US one. */
export function segmentHost(host: string | undefined, region: string | undefined): string {
  if (host) return host.replace(/\/+$/, '')
  if (region?.trim().toLowerCase() === 'eu') return SEGMENT_REGION_HOSTS.eu
  return SEGMENT_REGION_HOSTS.us
}
