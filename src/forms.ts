/** An email typed into a form or a Klaviyo onsite form, with where it came from. */
export interface Captured {
  email: string
  source: string
  formId?: string
}

/**
 * The email of a form: the first filled `type=email` field or text field named like email,
 * preferring one that looks like an address (a form may have two: email + confirm).
 */
export function emailFrom(form: HTMLFormElement): string | undefined {
  let first: string | undefined
  for (const f of Array.from(form.elements) as HTMLInputElement[]) {
    if (f.tagName !== 'INPUT' || !(f.type === 'email' || (f.type === 'text' && /e-?mail/i.test(f.name || f.id)))) continue
    const v = f.value.trim()
    if (/.@.+\./.test(v)) return v
    first ||= v || undefined
  }
  return first
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
      const email = form.tagName === 'FORM' && (selector === 'auto' || form.matches(selector)) && emailFrom(form)
      if (email)
        onEmail({
          email,
          source: (form.elements.namedItem('form_type') as HTMLInputElement | null)?.value === 'customer' ? 'shopify-customer-form' : 'form',
          formId: form.getAttribute('id') || undefined, // not form.id: an <input name="id"> shadows it
        })
    } catch { /* never break the host's submit */ }
  }
  document.addEventListener('submit', handler, true)
  return () => document.removeEventListener('submit', handler, true)
}

/** Klaviyo onsite forms announce submits as a `klaviyoForms` window event. */
export function watchKlaviyoForms(onEmail: (c: Captured) => void): () => void {
  const handler = (e: Event) => {
    const d = (e as CustomEvent).detail
    const email = d?.type === 'submit' && (d.metaData?.$email ?? d.metaData?.email)
    if (typeof email === 'string') onEmail({ email, source: 'klaviyo-form', formId: d.formId == null ? undefined : '' + d.formId })
  }
  window.addEventListener('klaviyoForms', handler)
  return () => window.removeEventListener('klaviyoForms', handler)
}
