/**
 * Segment regions on the command line (`--region`, SEGMENT_REGION); the hosts are in src/shared/segment-region.ts.
 * Segment's regional Tracking API hosts. An EU workspace must post to the EU endpoint: posted to
 * api.segment.io its events are answered 200 and never appear (segment-docs,
 * connections/sources/catalog/libraries/server/http-api: "If you are located in the EU and use the
 * https://api.segment.io/v1/ endpoint, you might not see any errors, but your events will not appear
 * in the Segment app"; guides/regional-segment: EU West ingestion "using the
 * events.eu1.segmentapis.com endpoint").
 */
import { UsageError } from './errors'
import type { SegmentRegion } from '../shared/segment-region'

export { SEGMENT_REGION_HOSTS, segmentHost, type SegmentRegion } from '../shared/segment-region'

/** Parse a region name (`us`, `eu`, any case); throws {@link UsageError} naming `source` otherwise. */
export function parseSegmentRegion(value: string, source: string): SegmentRegion {
  const v = value.trim().toLowerCase()
  if (v === 'us' || v === 'eu') return v
  throw new UsageError(`${source}: "${value}" is not a Segment region; use us or eu.`)
}
