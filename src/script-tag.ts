// Entry of dist/mailstitch.min.js (IIFE): exposes window.mailstitch and, when its <script>
// tag carries data-klaviyo-company-id, starts itself on the page's window.analytics.
import { createMailstitch, version } from './index'
import type { ConsentOption, ExternalIdMode, LinkPolicy, Mailstitch, MailstitchOptions } from './types'

/** What `window.mailstitch` holds. */
export interface MailstitchGlobal {
  createMailstitch: typeof createMailstitch
  version: string
  instance?: Mailstitch
}

/** `data-consent`: `shopify`, or the dotted name of a global function answering true/false. */
function consentFrom(v: string | undefined): ConsentOption | undefined {
  if (!v) return undefined
  if (v === 'shopify') return 'shopify'
  return () => {
    let fn: unknown = window
    let self: unknown
    for (const k of v.split('.')) (self = fn), (fn = fn == null ? undefined : (fn as Record<string, unknown>)[k])
    // A named gate that is missing means consent was not given (never assume it). Called as
    // a method of its owner: CMP objects (class instances) read `this`.
    return typeof fn === 'function' ? (fn as () => boolean | Promise<boolean>).call(self) : false
  }
}

/** Options from the script tag's data attributes (the contract's `data-*` names). */
export function optionsFromDataset(d: DOMStringMap): MailstitchOptions {
  // Empty or unknown values fall back to createMailstitch's defaults.
  const off = (v?: string) => (v === 'false' ? false : v)
  return {
    klaviyo: { companyId: d.klaviyoCompanyId!, listId: d.klaviyoListId, apiBase: d.klaviyoApiBase },
    forms: off(d.forms),
    externalId: off(d.externalId) as ExternalIdMode | undefined,
    linkParam: d.linkParam,
    linkPolicy: d.linkPolicy as LinkPolicy | undefined,
    consent: consentFrom(d.consent),
    debug: d.debug != null && d.debug !== 'false',
  }
}

try {
  const w = window as unknown as { mailstitch?: MailstitchGlobal }
  // Loaded twice (theme snippet plus app embed): the first copy stays in charge.
  if (!w.mailstitch?.instance) {
    const api: MailstitchGlobal = { createMailstitch, version }
    w.mailstitch = api
    const d = (document.currentScript as HTMLScriptElement | null)?.dataset
    if (d?.klaviyoCompanyId) api.instance = createMailstitch(optionsFromDataset(d))
  }
} catch {
  /* never break the page */
}
