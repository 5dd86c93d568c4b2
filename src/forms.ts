/** An email typed into a form or a Klaviyo onsite form, with where it came from. */
export interface Captured {
  email: string
  source: string
  formId?: string
}

const SKIP = /^(hidden|password|checkbox|radio|submit|button|file)$/

/** The email candidates of a form: `type=email` fields and fields named like email, in order. */
export function emailFrom(form: HTMLFormElement): string | undefined {
  let first: string | undefined
  for (const el of Array.from(form.elements)) {
    const f = el as HTMLInputElement
    if (f.tagName !== 'INPUT' || SKIP.test(f.type)) continue
    if (f.type !== 'email' && !/e-?mail/i.test(f.name || f.id || '')) continue
    const v = f.value.trim()
    // Prefer the first filled field that looks like an address (a form may have two: email + confirm).
    if (v.includes('@') && v.includes('.')) return v
    if (v && first === undefined) first = v
  }
  return first
}

/** Source label: an explicit `data-mailstitch-source`, Shopify's customer form, or plain `form`. */
function sourceOf(form: HTMLFormElement): string {
  const explicit = form.getAttribute('data-mailstitch-source')
  if (explicit) return explicit
  const type = (form.elements.namedItem('form_type') as HTMLInputElement | null)?.value
  return type === 'customer' ? 'shopify-customer-form' : 'form'
}

/**
 * One delegated, capturing `submit` listener on the document: it sees forms added later (SPA
 * routes, Shopify section re-renders), runs before site handlers that may `preventDefault`,
 * and never touches the event, so the form posts exactly as it would without us.
 */
export function watchForms(selector: string, onEmail: (c: Captured) => void): () => void {
  const handler = (e: Event) => {
    try {
      const form = e.target as HTMLFormElement
      if (!form || form.tagName !== 'FORM' || (selector !== 'auto' && !form.matches(selector))) return
      const email = emailFrom(form)
      if (email) onEmail({ email, source: sourceOf(form), formId: form.id || form.getAttribute('name') || undefined })
    } catch { /* never break the host's submit */ }
  }
  document.addEventListener('submit', handler, true)
  return () => document.removeEventListener('submit', handler, true)
}

/** Klaviyo onsite forms announce submits as a `klaviyoForms` window event. */
export function watchKlaviyoForms(onEmail: (c: Captured) => void): () => void {
  const handler = (e: Event) => {
    try {
      const d = (e as CustomEvent).detail as { type?: string; formId?: unknown; metaData?: Record<string, unknown> } | null
      if (d?.type !== 'submit') return
      const email = d.metaData?.$email ?? d.metaData?.email
      if (typeof email === 'string' && email) onEmail({ email, source: 'klaviyo-form', formId: d.formId == null ? undefined : String(d.formId) })
    } catch { /* ignore malformed events */ }
  }
  window.addEventListener('klaviyoForms', handler)
  return () => window.removeEventListener('klaviyoForms', handler)
}
