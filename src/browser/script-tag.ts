// Entry of dist/mailstitch.min.js (IIFE): exposes window.mailstitch and, when its <script>
// tag carries data-klaviyo-company-id, starts itself on the page's window.analytics.
import { createMailstitch, version } from './script-api'
import type { ExternalIdMode, Mailstitch, MailstitchOptions } from './types'
import { namedConsent } from './core/consent'

/** What `window.mailstitch` holds. */
export interface MailstitchGlobal {
  createMailstitch: typeof createMailstitch
  version: string
  instance?: Mailstitch
}

/** Options from the script tag's data attributes (the contract's `data-*` names). */
export function optionsFromDataset(d: DOMStringMap): MailstitchOptions {
  // Empty or unknown values fall back to createMailstitch's defaults; "false" turns a feature off.
  const off = (v?: string) => v != 'false' && v
  const consent = d.consent
  return {
    // Named one by one: spreading a DOMStringMap walks every data-* attribute of the tag.
    linkParam: d.linkParam,
    linkPolicy: d.linkPolicy as MailstitchOptions['linkPolicy'],
    klaviyo: { companyId: d.klaviyoCompanyId!, listId: d.klaviyoListId, apiBase: d.klaviyoApiBase },
    forms: off(d.forms),
    externalId: off(d.externalId) as ExternalIdMode | undefined,
    // `data-consent`: `shopify`, or the dotted name of a global function answering true/false.
    consent: consent === 'shopify' ? consent : consent ? namedConsent(consent) : undefined,
    debug: typeof off(d.debug) == 'string',
  }
}

try {
  const w = window as unknown as { mailstitch?: MailstitchGlobal }
  // Loaded twice (theme snippet plus app embed): the first copy stays in charge.
  if (!w.mailstitch?.instance) {
    // Kept: what the inline snippet (its landing) or the Shopify add-on left there.
    const api: MailstitchGlobal = (w.mailstitch = { ...w.mailstitch, createMailstitch, version })
    const d = (document.currentScript as HTMLScriptElement | null)?.dataset
    if (d?.klaviyoCompanyId) api.instance = createMailstitch(optionsFromDataset(d))
  }
} catch {
  /* never break the page */
}
