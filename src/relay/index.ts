/**
 * `mailstitch/relay`: moves Klaviyo email events into Segment, keyed to the web visitor (bridge id).
 * Node ≥ 20. See docs/relay.md.
 */
export { createRelay, DEFAULT_INTERVAL_SECONDS } from './relay'
export type { Relay, RelayOptions, PollOnceOptions, FollowOptions, RedriveOptions, HeadersInput, WebhookResponse } from './relay'
export { relayOptionsFromEnv } from './env'
export { mapKlaviyoEvent, METRIC_TO_EVENT, WEBHOOK_TOPIC_TO_METRIC, DEFAULT_INTEGRATIONS, isRelayedMetric } from '../shared/klaviyo-map'
export type { RelayTrackMessage, RelayEventProperties, RelayEventName, RelayedMetricName, KlaviyoEventLike, KlaviyoProfileLike, MapInput, MapOptions } from '../shared/klaviyo-map'
// The Web-API webhook core (src/webhook): the same code `relay serve`, the Worker and the Lambda entries run.
export { verifyKlaviyoSignature, computeKlaviyoSignature, parseKlaviyoTimestamp, DEFAULT_TOLERANCE_SECONDS, MAX_FUTURE_SKEW_SECONDS } from '../webhook/signature'
export type { SignatureCheck, SignatureFailure, VerifyInput } from '../webhook/signature'
export { handleKlaviyoWebhook, DEFAULT_LOOKUP_BUDGET_MS } from '../webhook/klaviyo'
export type { KlaviyoWebhookOptions } from '../webhook/klaviyo'
export { KlaviyoLookup, KlaviyoLookupError } from '../webhook/klaviyo-lookup'
export type { KlaviyoLookupOptions } from '../webhook/klaviyo-lookup'
export { createWebhookApp, webhookConfigFromEnv, WebhookConfigError } from '../webhook/config'
export type { WebhookConfig, WebhookAppOptions } from '../webhook/config'
export { createDispatcher } from '../webhook/dispatch'
export type { FetchHandler, WebhookRoutes } from '../webhook/dispatch'
export { createSegmentDelivery, createSegmentPublisher, SegmentDeliveryFailed } from '../webhook/segment-delivery'
export type { SegmentDelivery, SegmentDeliveryOptions, SegmentPublisher, DeliveryReport, DeliveryProblem, DeliverableMessage } from '../webhook/segment-delivery'
export { DEFAULT_MAX_BODY_BYTES } from '../webhook/http'
export type { WebhookResponseBody } from '../webhook/http'
export { startWebhookServer, DEFAULT_PORT } from './serve'
export type { WebhookServer, ServeOptions } from './serve'
export { formatSummary, DEFAULT_LOOKBACK_SECONDS } from './poll'
export type { PollSummary, PollProgress } from './poll'
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
  KlaviyoResponseError,
  SegmentDeliveryError,
  SegmentRefusedError,
  StateFileError,
  MissingPackageError,
  EXIT_CODES,
} from './errors'
export type { RelayErrorCode } from './errors'
export { RELAY_VERSION } from './version'
