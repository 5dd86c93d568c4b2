/** Where and how every runtime talks to Klaviyo's APIs: one origin default and one API revision. */

/** Default Klaviyo API origin (KLAVIYO_API_BASE, the browser's `klaviyo.apiBase`). */
export const DEFAULT_KLAVIYO_API_BASE = 'https://a.klaviyo.com'
/** API revision sent on every call: the one the relay's klaviyo-api package pins (its `revision`). */
export const KLAVIYO_REVISION = '2026-07-15'
