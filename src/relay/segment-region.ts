/**
 * Segment regions on the command line (`--region`, SEGMENT_REGION): parsed and checked once in
 * ../shared/relay-settings.ts; the hosts are in ../shared/segment-region.ts (an EU workspace must
 * post to the EU endpoint: posted to api.segment.io its events are answered 200 and never appear).
 */
export { SEGMENT_REGION_HOSTS, segmentHost, type SegmentRegion } from '../shared/segment-region'
export { parseSegmentRegion } from '../shared/relay-settings'
