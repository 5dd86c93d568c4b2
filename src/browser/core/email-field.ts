// Email-field detection, written once for the SDK's form capture and the Shopify add-on's cart
// bridge (issue 13): the same rules everywhere. Hidden and password fields never count, and a
// password field is never read.

/** Field names or ids that say "email" (`email`, `e-mail`, Shopify's `contact[email]`). */
const NAMED_LIKE_EMAIL = /e-?mail/i

/** True for a visible input a shopper types an email into: `type=email`, or a text field named like email. */
export function isEmailField(field: Element): boolean {
  if (field.tagName !== 'INPUT') return false
  const input = field as HTMLInputElement
  if (input.type === 'email') return true
  return input.type === 'text' && NAMED_LIKE_EMAIL.test(input.name || input.id)
}

function fieldsOf(form: unknown): Element[] {
  try {
    return Array.from((form as HTMLFormElement).elements || [])
  } catch {
    return []
  }
}

/** True when `form` has an email field (what the SDK captures from). */
export function hasEmailField(form: unknown): boolean {
  return fieldsOf(form).some(isEmailField)
}

/**
 * The email typed into `form`: the first email field whose value looks like an address (a form
 * may have two, email and confirm), else the first filled value (`''` when all are empty);
 * `undefined` without an email field.
 */
export function emailFrom(form: unknown): string | undefined {
  let first: string | undefined
  for (const field of fieldsOf(form)) {
    if (!isEmailField(field)) continue
    const value = (field as HTMLInputElement).value.trim()
    if (/.@.+\./.test(value)) return value
    if (!first) first = value
  }
  return first
}
