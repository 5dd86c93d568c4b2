/**
 * A local stand-in for Segment: the tracking API that `@segment/analytics-next` (browser) and
 * `@segment/analytics-node` post to, the CDN settings endpoint, and the analytics.js bundle
 * itself, so real pages run the real SDK with no internet. Events are kept in memory (and
 * optionally appended to a JSON-lines file) for tests, the demo viewer and benchmarks.
 */
export type {
  CollectorRequest,
  RejectedEvent,
  SegmentCollector,
  SegmentCollectorOptions,
  SegmentEvent,
  SegmentEventListener,
  SegmentEventType,
} from './segment/types'
export { SEGMENT_LIMITS } from './segment/rules'
export { startSegmentCollector } from './segment/collector'
