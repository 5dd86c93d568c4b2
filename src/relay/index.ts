/**
 * `mailstitch/relay`: moves Klaviyo email events into Segment, keyed to the web visitor (bridge id).
 * Node ≥ 20. See docs/relay.md.
 */
export { createRelay, DEFAULT_INTERVAL_SECONDS } from './relay'
export type { Relay, RelayOptions, PollOnceOptions, FollowOptions } from './relay'
export { relayOptionsFromEnv } from './env'
export { mapKlaviyoEvent, METRIC_TO_EVENT, WEBHOOK_TOPIC_TO_METRIC, DEFAULT_INTEGRATIONS, isRelayedMetric } from '../shared/klaviyo-map'
export type { RelayTrackMessage, RelayEventProperties, RelayEventName, RelayedMetricName, KlaviyoEventLike, KlaviyoProfileLike, MapInput, MapOptions } from '../shared/klaviyo-map'
export { verifyKlaviyoSignature, computeKlaviyoSignature, parseKlaviyoTimestamp, DEFAULT_TOLERANCE_SECONDS } from './signature'
export type { SignatureCheck, SignatureFailure, VerifyInput } from './signature'
export { createWebhookHandler, DEFAULT_MAX_BODY_BYTES } from './webhook'
export type { WebhookHandler, WebhookHandlerOptions, WebhookResponse, WebhookResponseBody, HeadersInput } from './webhook'
export { startWebhookServer, DEFAULT_PORT } from './serve'
export type { WebhookServer, ServeOptions } from './serve'
export { formatSummary, DEFAULT_LOOKBACK_SECONDS } from './poll'
export type { PollSummary } from './poll'
export { DEFAULT_STATE_PATH } from './state'
export type { RelayStateJson, MetricStateJson } from './state'
export { DEFAULT_KLAVIYO_API_BASE } from './klaviyo-client'
export type { KlaviyoRetryOptions } from './klaviyo-client'
export { DEFAULT_SEGMENT_API_HOST } from './segment-sink'
export type { SegmentSinkOptions } from './segment-sink'
export {
  RelayError,
  UsageError,
  MissingKeyError,
  KlaviyoAuthError,
  SegmentAuthError,
  UnknownMetricError,
  UnreachableHostError,
  KlaviyoApiError,
  SegmentDeliveryError,
  StateFileError,
  EXIT_CODES,
} from './errors'
export type { RelayErrorCode } from './errors'
export { RELAY_VERSION } from './version'
