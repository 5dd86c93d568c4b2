// Step 4, wiring: the page events that start a capture (form submits, Klaviyo onsite forms) and
// the consent banner's answer. Each listener is removed again by `destroy()`.
import { listen, type Context } from './context'
import { afterSubmit, capture } from './capture'
import type { CaptureOptions } from '../types'
import { SHOPIFY_CONSENT_EVENT } from './consent'
import { emailFrom, isEmailField } from './email-field'
import { land } from './landing'
import { clearJobs } from './outbox'
import { flushStoredJobs, prefetchRunner } from './handoff'

/** The value of a named form field, as a string (`''` when absent). */
function fieldValue(form: HTMLFormElement, name: string): string {
  const field = form.elements.namedItem(name) as HTMLInputElement | RadioNodeList | null
  return typeof field?.value === 'string' ? field.value : ''
}

/** A checked checkbox named like `accepts_marketing` (Shopify's `customer[accepts_marketing]`). */
function acceptsMarketing(form: HTMLFormElement): boolean {
  return Array.from(form.elements).some((field) => {
    const input = field as HTMLInputElement
    return input.type === 'checkbox' && input.checked && /accepts?[_-]?marketing/i.test(input.name)
  })
}

/**
 * A clear opt-in to email marketing (CONTRACT.md "What a capture does", step 3): Shopify's
 * newsletter form (`form_type=customer`), a form marked `data-mailstitch-subscribe`, or a checked
 * accepts-marketing box. Contact, login, password recovery and checkout forms are not.
 */
function isOptIn(form: HTMLFormElement): boolean {
  if (form.hasAttribute('data-mailstitch-subscribe')) return true
  if (fieldValue(form, 'form_type') === 'customer') return true
  return acceptsMarketing(form)
}

/** What a submitted form asks to capture; `undefined` when it has no email field. */
function formCapture(form: HTMLFormElement): { email: string; options: CaptureOptions } | undefined {
  const email = emailFrom(form)
  if (email === undefined) return undefined
  const source = fieldValue(form, 'form_type') === 'customer' ? 'shopify-customer-form' : 'form'
  // getAttribute, not form.id: an <input name="id"> shadows it.
  return { email, options: { source, formId: form.getAttribute('id') ?? undefined, subscribe: isOptIn(form) } }
}

/**
 * One delegated, capturing `submit` listener on the document: it sees forms added later (SPA
 * routes, Shopify section re-renders), runs before site handlers that may `preventDefault`, and
 * never touches the event, so the form posts exactly as it would.
 */
export function watchForms(context: Context): void {
  const forms = context.options.forms
  if (forms === false) return
  const selector = forms && forms !== 'auto' ? forms : 'form'
  listen(context, document, 'submit', (event) => {
    try {
      const form = event.target as HTMLFormElement
      if (!form.matches(selector)) return
      const found = formCapture(form)
      if (found) void capture(context, found.email, found.options, afterSubmit(event))
    } catch { /* never break the host's submit */ }
  }, true)
  // A shopper in an email field is likely to submit it: the runner's file loads meanwhile.
  listen(context, document, 'focusin', (event) => {
    try {
      if (isEmailField(event.target as Element)) prefetchRunner(context)
    } catch { /* a hostile page */ }
  }, true)
}

/**
 * Klaviyo onsite forms announce submits as a `klaviyoForms` window event: `submit`, and
 * `stepSubmit` for each step of a multi-step form (an SMS-first form sends the email on a step).
 * Captured once per form, from whichever comes first. They subscribe per their own settings,
 * so never an opt-in here. https://developers.klaviyo.com/en/docs/javascript_api#form-events
 */
export function watchKlaviyoForms(context: Context): void {
  listen(context, window, 'klaviyoForms', (event) => {
    const detail = (event as CustomEvent).detail
    if (detail?.type !== 'submit' && detail?.type !== 'stepSubmit') return
    const email: unknown = detail.metaData?.$email ?? detail.metaData?.email
    if (typeof email !== 'string') return
    const formId = detail.formId == null ? undefined : String(detail.formId)
    const key = `${formId} ${email.trim().toLowerCase()}`
    if (context.klaviyoFormsCaptured.has(key)) return
    context.klaviyoFormsCaptured.add(key)
    void capture(context, email, { source: 'klaviyo-form', formId })
  })
}

/**
 * The visitor answered Shopify's banner: withdrawn (or not known) → forget everything; given →
 * land a pending landing and send what is left.
 */
export function watchShopifyConsent(context: Context): void {
  if (context.options.consent !== 'shopify') return
  listen(context, document, SHOPIFY_CONSENT_EVENT, () => {
    context.forgotten = context.consent() !== true
    if (context.forgotten) {
      clearJobs()
      void context.loadRunner().then((runner) => runner.forgetVisitor(), () => {}) // the state cookie: cookies are written by the runner
      return
    }
    if (context.pendingToken) land(context, context.pendingToken)
    void flushStoredJobs(context)
  })
}
