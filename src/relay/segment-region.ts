/**
 * Segment's regional Tracking API hosts. An EU workspace must post to the EU endpoint: posted to
 * api.segment.io its events are answered 200 and never appear (segment-docs,
 * connections/sources/catalog/libraries/server/http-api: "If you are located in the EU and use the
 * https://api.segment.io/v1/ endpoint, you might not see any errors, but your events will not appear
 * in the Segment app"; guides/regional-segment: EU West ingestion "using the
 * events.eu1.segmentapis.com endpoint").
 */
import { UsageError } from './errors'

/** A Segment data-processing region. */
export type SegmentRegion = 'us' | 'eu'

/** Tracking API origin per region. */
export const SEGMENT_REGION_HOSTS: Readonly<Record<SegmentRegion, string>> = {
  us: 'https://api.segment.io',
  eu: 'https://events.eu1.segmentapis.com',
}

/** Parse a region name (`us`, `eu`, any case); throws {@link UsageError} naming `source` otherwise. */
export function parseSegmentRegion(value: string, source: string): SegmentRegion {
  const v = value.trim().toLowerCase()
  if (v === 'us' || v === 'eu') return v
  throw new UsageError(`${source}: "${value}" is not a Segment region; use us or eu.`)
}

/** The Tracking API origin: an explicit host (SEGMENT_API_HOST) wins, else the region's, else the US one. */
export function segmentHost(host: string | undefined, region: SegmentRegion | undefined): string {
  if (host) return host
  return SEGMENT_REGION_HOSTS[region ?? 'us']
}
