// The anonymousId of a browser whose analytics.js did not load (an ad blocker, a failing CDN)
// while the Segment snippet's stub is there: minted the way analytics-next mints one (a UUID v4,
// `crypto.randomUUID`), queued on the stub with `setAnonymousId` (analytics-next applies it,
// `flushSetAnonymousID`, before any buffered event when analytics.js does load on this page),
// and stored where analytics.js reads it on a later page (its `ajs_anonymous_id`, localStorage
// first as JSON, else the cookie: research/segment.md "Storage"). So the capture gets its bridge
// id now, and analytics.js, once it loads, goes on under the same id.
import { callAnalytics, type AnalyticsSource } from '../core/analytics'
import { writeStored } from '../core/storage'
import { writeAnonymousIdCookie } from './state-cookie'

/** A new anonymousId for analytics.js to adopt; `undefined` where the browser has no `crypto.randomUUID` (then nothing is minted). */
export function mintAnonymousId(analytics: AnalyticsSource): string | undefined {
  let id: string
  try {
    id = crypto.randomUUID()
  } catch {
    return undefined // an old browser, or an insecure (http) page
  }
  callAnalytics(analytics, 'setAnonymousId', [id])
  if (!writeStored('ajs_anonymous_id', id)) writeAnonymousIdCookie(id)
  return id
}
