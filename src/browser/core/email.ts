// Pragmatic address check: what Klaviyo and real mail systems accept, not full RFC 5322.
// Local part ≤ 64 of the dot-atom alphabet (`\w` is [a-z0-9_] once lower-cased), domain of valid labels with an alphabetic TLD,
// 254 in all; spaces, angle brackets, quotes, edge or double dots are refused.
const EMAIL = /^(?=.{6,254}$)(?=.{1,64}@)[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*@([a-z\d]([a-z\d-]{0,61}[a-z\d])?\.)+[a-z][a-z-]*[a-z]$/

/** Trim and lower-case an email; `null` when it is not a deliverable-looking address. */
export function normalizeEmail(raw: unknown): string | null {
  const email = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
  return EMAIL.test(email) ? email : null
}
