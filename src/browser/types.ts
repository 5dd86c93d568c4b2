/** Where the Segment `anonymousId` should also go as the Klaviyo profile's `external_id`. */
export type ExternalIdMode = 'userId' | 'anonymousId' | false

/** What a landing with a bridge token may do to this browser's identity. */
export type LinkPolicy = 'adopt-if-fresh' | 'never-adopt'

/** A consent source: a function answering (possibly later) whether tracking is allowed, or a named adapter. */
export type ConsentOption = (() => boolean | Promise<boolean>) | 'shopify'

/** Klaviyo client-API settings (public key only; safe in the browser). */
export interface KlaviyoOptions {
  /** Klaviyo public API key (the 6-character site id). */
  companyId: string
  /** Subscribe opt-ins (a newsletter form, `data-mailstitch-subscribe`, `subscribe: true`) to this list. */
  listId?: string
  /** Client-API origin; defaults to `https://a.klaviyo.com`. */
  apiBase?: string
}

/**
 * The part of a Segment analytics object mailstitch uses. Satisfied by an `AnalyticsBrowser`
 * from `@segment/analytics-next`, a loaded `window.analytics`, and the snippet's buffering stub.
 */
export interface AnalyticsLike {
  /** Segment identify (traits-only form keeps any stored userId). */
  identify(...args: unknown[]): unknown
  /** Segment track. */
  track(...args: unknown[]): unknown
  /** Overwrite the stored anonymousId. */
  setAnonymousId?(id?: string): unknown
  /** Register an analytics-next plugin. */
  register?(...plugins: never[]): unknown
  /** Remove a plugin registered with `register`, by name. */
  deregister?(...names: string[]): unknown
  /** Register a source middleware (runs on every event before any destination). */
  addSourceMiddleware?(fn: SourceMiddleware): unknown
  /** Segment's user accessor: sync on a loaded instance, a Promise on `AnalyticsBrowser`. */
  user?(): unknown
  /** Set on `AnalyticsBrowser` once it has loaded. */
  instance?: unknown
  /** True on a loaded analytics.js instance. */
  initialized?: boolean
}

/** A Segment source middleware, as analytics-next calls it. */
export type SourceMiddleware = (ctx: {
  payload: { obj: object }
  // Method syntax: analytics-next's `next(payload: SegmentFacade | null)` must be assignable.
  next(payload: unknown): void
}) => void

/** The event context an analytics-next plugin receives (the part mailstitch reads and changes). */
export interface PluginContext {
  event: { anonymousId?: string | null; context?: { page?: Record<string, unknown> }; properties?: Record<string, unknown> }
}

/** An analytics-next utility plugin: no event handlers, only told when analytics.js loads it. */
export interface SegmentUtilityPlugin {
  name: string
  type: 'utility'
  version: string
  isLoaded(): boolean
  load(): Promise<void>
  unload(): Promise<void>
}

/** An analytics-next plugin, as `analytics.register` takes it: the same life cycle, plus a handler per event type. */
export interface SegmentPlugin extends Omit<SegmentUtilityPlugin, 'type'> {
  type: 'before'
  page(ctx: PluginContext): Promise<PluginContext>
  track(ctx: PluginContext): Promise<PluginContext>
  identify(ctx: PluginContext): Promise<PluginContext>
  alias(ctx: PluginContext): Promise<PluginContext>
  group(ctx: PluginContext): Promise<PluginContext>
  screen(ctx: PluginContext): Promise<PluginContext>
}

/** Options of {@link createMailstitch}. */
export interface MailstitchOptions {
  /** An `AnalyticsBrowser` (npm); omit to use `window.analytics` (the Segment snippet). */
  analytics?: AnalyticsLike
  /** Klaviyo client settings; omit to only identify in Segment. */
  klaviyo?: KlaviyoOptions
  /** Which forms to capture from: `'auto'` (default), a CSS selector, or `false`. */
  forms?: 'auto' | string | false
  /** What to write as the Klaviyo `external_id`; default `'userId'`. */
  externalId?: ExternalIdMode
  /** Query parameter carrying the bridge token in email links; default `'mst'`. */
  linkParam?: string
  /** Landing policy for bridge tokens; default `'adopt-if-fresh'`. */
  linkPolicy?: LinkPolicy
  /** Consent gate: nothing is stored or sent until it allows. Default: allowed. */
  consent?: ConsentOption
  /** Log decisions to the console. */
  debug?: boolean
}

/** Options of a single {@link Mailstitch.capture} call. */
export interface CaptureOptions {
  /** Where the email came from, sent as `source` on `Email Captured`. */
  source?: string
  /** The form's id, sent as `form_id` on `Email Captured`. */
  formId?: string
  /** Extra Segment traits (and Klaviyo profile attributes where they map). */
  traits?: Record<string, unknown>
  /** A clear opt-in to email marketing: also subscribe to `klaviyo.listId`. Default false. */
  subscribe?: boolean
}

/** Why a capture sent nothing. */
export type CaptureFailure = 'invalid_email' | 'no_consent' | 'duplicate' | 'no_analytics'

/** The outcome of a capture; never thrown, never rejected. */
export type CaptureResult =
  | { ok: true; email: string; anonymousId: string }
  | { ok: false; reason: CaptureFailure }

/** What a landing with a bridge token did. */
export type LandingOutcome = 'adopted' | 'adopted_late' | 'same' | 'kept'

/** A started mailstitch instance. */
export interface Mailstitch {
  /** Capture an email: identify in Segment and write the bridge id to Klaviyo. */
  capture(email: string, options?: CaptureOptions): Promise<CaptureResult>
  /** The bridge-token query parameters for links the site builds itself (`{}` before any capture). */
  linkParams(): Record<string, string>
  /** Resolves when start-up work is done (the landing decided; stored jobs run once analytics.js loaded, or after 3 s); never rejects. */
  ready(): Promise<void>
  /** Remove every listener and observer this instance added. */
  destroy(): void
}
