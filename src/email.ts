// Pragmatic address check: what Klaviyo and real mail systems accept, not full RFC 5322.
// Anything with spaces, angle brackets, quotes or consecutive/edge dots is refused.
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** Trim and lower-case an email; `null` when it is not a deliverable-looking address. */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const email = raw.trim().toLowerCase()
  if (email.length > 254) return null
  const at = email.lastIndexOf('@')
  if (at < 1) return null
  const local = email.slice(0, at)
  const labels = email.slice(at + 1).split('.')
  if (local.length > 64 || !LOCAL.test(local) || labels.length < 2) return null
  return labels.every((l) => LABEL.test(l)) && /^[a-z-]{2,}$/.test(labels[labels.length - 1]!) ? email : null
}
