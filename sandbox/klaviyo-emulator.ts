/**
 * A local Klaviyo: the client API the browser SDK posts to (public key, `company_id`) and the
 * slice of the server API the relay reads with the real `klaviyo-api` client (metrics, events,
 * profiles), over `node:http`. State lives in {@link KlaviyoStore}, which the demo and tests can
 * drive directly. A synthetic mode serves millions of events generated from their index, so
 * benchmarks can page through 1M events with flat memory.
 *
 * Behaviour follows Klaviyo's documented rules where they matter to mailstitch: client requests
 * answer 202 with an empty body, never change an existing profile identifier, and record
 * `anonymous_id` without ever returning it; the server API speaks JSON:API with cursor paging.
 */
export type {
  EventKey,
  EventQuery,
  KlaviyoEvent,
  KlaviyoIntegration,
  KlaviyoListMembership,
  KlaviyoLocation,
  KlaviyoMetric,
  KlaviyoProfile,
  ProfileAttributes,
  RecordEventInput,
  StoreChange,
  SyntheticSeed,
} from './klaviyo/types'
export { DuplicateProfileError } from './klaviyo/types'
export { KLAVIYO_EMAIL_METRICS, isValidEmail, klaviyoDatetime } from './klaviyo/ids'
export { KlaviyoStore, type StoreListener } from './klaviyo/store'
export { eventDocument, eventResource, metricResource, profileResource, type EventLookup, type SparseFields } from './klaviyo/resources'
export { filterTimeMs, parseFilter, type FilterTerm, type FilterValue } from './klaviyo/filter'
export {
  startKlaviyoEmulator,
  type FaultScope,
  type KlaviyoClientRequest,
  type KlaviyoEmulator,
  type KlaviyoEmulatorOptions,
  type KlaviyoFaultSpec,
  type KlaviyoMalformedSpec,
  type KlaviyoRequestLogEntry,
  type MalformedAnswer,
} from './klaviyo/emulator'
