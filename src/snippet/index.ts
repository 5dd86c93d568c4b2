// `mailstitch/snippet`: renders the inline snippet, the recommended install (CONTRACT.md "The
// inline snippet"), the way `@segment/snippet` renders Segment's: the same minified text for every
// install, its options printed into it. Runs anywhere (a server, a build step): no DOM is touched.
import { adoptIfFresh, holdUntilDecided, inlineLanding } from './inline'

export type { SnippetLanding } from './inline'

/** Options of {@link snippet}: the script tag's `data-*` options, and where the core is served. */
export interface SnippetOptions {
  /** Address of `mailstitch.min.js` (its runner is loaded from beside it, or from `runnerSrc`). */
  src: string
  klaviyoCompanyId: string
  klaviyoListId?: string
  /** Klaviyo API origin (tests point it at an emulator). */
  klaviyoApiBase?: string
  forms?: 'auto' | string | false
  externalId?: 'userId' | 'anonymousId' | false
  linkParam?: string
  linkPolicy?: 'adopt-if-fresh' | 'never-adopt'
  /** `'shopify'`, or the dotted name of a global function answering true/false (the `data-consent` forms). */
  consent?: string
  debug?: boolean
  /** Address of `mailstitch-runner.min.js` when it is not beside `src`. */
  runnerSrc?: string
}

/** The snippet's option → the script tag's dataset key (`data-klaviyo-company-id` …). */
const DATASET_KEYS = ['klaviyoCompanyId', 'klaviyoListId', 'klaviyoApiBase', 'forms', 'externalId', 'linkParam', 'linkPolicy', 'consent', 'debug', 'runnerSrc'] as const

/** JSON that is safe inside an inline `<script>` (no `</script>`, no `<!--`, no line separators JavaScript chokes on). */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/** The options that choose which parts of the snippet a page carries. */
export type SnippetParts = Pick<SnippetOptions, 'consent' | 'linkPolicy'>

/**
 * The snippet's function alone, `(src, data) => …`, for a template that prints its own options
 * (the Shopify example's Liquid: `(<this>)({{ src | json }}, {…})`, data keys as the script tag's
 * dataset). It carries only the parts `options` need: the adoption of a fresh browser without a
 * consent option, the hold for the core's decision with one; neither with the link policy
 * never-adopt (the core scrubs and keeps the id).
 */
export function snippetFunction(options: SnippetParts = {}): string {
  const adopts = options.linkPolicy !== 'never-adopt'
  // With a consent option the core decides: a named function is the core's to call, and Shopify's
  // Customer Privacy API is loaded by `Shopify.loadFeatures` after the page starts (shopify.dev,
  // "Loading the Customer Privacy API"), so at the snippet's place it is, but for a rare page,
  // not there yet: the snippet holds the events for the decision.
  const adopt = adopts && !options.consent ? adoptIfFresh.toString() : '0'
  const hold = adopts && options.consent ? holdUntilDecided.toString() : '0'
  return `(${inlineLanding.toString()}).bind(0,${adopt},${hold})`
}

/**
 * The inline snippet's JavaScript for these options (no `<script>` tags): paste it in the page's
 * `<head>`, before or right after the Segment snippet. Throws a TypeError when `src` or
 * `klaviyoCompanyId` is missing (a build-time mistake, never a page-time one).
 */
export function snippet(options: SnippetOptions): string {
  if (!options || typeof options.src !== 'string' || !options.src) throw new TypeError('mailstitch snippet: `src` (the address of mailstitch.min.js) is required')
  if (typeof options.klaviyoCompanyId !== 'string' || !options.klaviyoCompanyId) throw new TypeError('mailstitch snippet: `klaviyoCompanyId` is required')
  const data: Record<string, string> = {}
  for (const key of DATASET_KEYS) {
    const value = options[key]
    if (value === undefined || value === null || value === '') continue
    if (key === 'debug') {
      if (value) data.debug = 'true'
    } else data[key] = String(value)
  }
  return `(${snippetFunction(options)})(${scriptSafeJson(options.src)},${scriptSafeJson(data)});`
}
