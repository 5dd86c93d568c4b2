// Segment and mailstitch, set up once for the whole app.
import { AnalyticsBrowser } from '@segment/analytics-next'
import { createMailstitch } from 'mailstitch'

interface ShopConfig {
  segmentWriteKey: string
  klaviyoPublicKey: string
  klaviyoListId?: string
  segmentCdnURL?: string
  klaviyoApiBase?: string
}
const config = (window as unknown as { SHOP_CONFIG: ShopConfig }).SHOP_CONFIG

export const analytics = AnalyticsBrowser.load(
  { writeKey: config.segmentWriteKey, ...(config.segmentCdnURL ? { cdnURL: config.segmentCdnURL } : {}) },
  // The email-link token (?mst=) is mailstitch's; keep analytics.js from reading ajs_* params.
  { useQueryString: false },
)

// Before the first analytics.page(): on an email-link landing the first event already carries
// the bridged anonymousId. Forms are captured automatically, including ones React mounts later
// and ones whose submit handler calls preventDefault.
export const stitch = createMailstitch({
  analytics,
  klaviyo: {
    companyId: config.klaviyoPublicKey,
    listId: config.klaviyoListId || undefined,
    apiBase: config.klaviyoApiBase,
  },
})

// The first page's page call, once per page load. Here rather than in a React effect: StrictMode
// runs effects twice in development (`npm run dev`), which would send it twice. Route changes
// send theirs from the router (src/router.tsx).
void analytics.page()
