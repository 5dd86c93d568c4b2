// A single-page app as a developer writes it: AnalyticsBrowser and mailstitch from npm.
import { AnalyticsBrowser } from '@segment/analytics-next'
import { createMailstitch } from 'mailstitch'

interface Cfg { writeKey: string; cdnURL: string; klaviyoBase: string; companyId: string; listId?: string; consent?: boolean }
const cfg = (window as unknown as { __cfg: Cfg }).__cfg

const analytics = AnalyticsBrowser.load({ writeKey: cfg.writeKey, cdnURL: cfg.cdnURL }, { useQueryString: false })
// Start mailstitch before the first page call so a landing adopts the bridged id first.
const stitch = createMailstitch({
  analytics,
  klaviyo: { companyId: cfg.companyId, listId: cfg.listId, apiBase: cfg.klaviyoBase },
  consent: cfg.consent === undefined ? undefined : () => cfg.consent === true,
})
void analytics.page()

// A controlled signup form that posts with fetch, as SPAs do.
document.addEventListener('submit', (e) => {
  const form = e.target as HTMLFormElement
  if (form.id !== 'spa-signup') return
  e.preventDefault()
  const email = (form.elements.namedItem('email') as HTMLInputElement).value
  void fetch('/api/signup', { method: 'POST', body: JSON.stringify({ email }) }).catch(() => {})
  form.setAttribute('data-done', '1')
})

Object.assign(window, { ab: analytics, stitch })
