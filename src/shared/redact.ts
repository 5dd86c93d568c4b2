/**
 * The one redaction every message goes through before it is printed, logged or thrown: credentials
 * written into a URL (`https://user:pass@host`, `?api_key=…`) and key-shaped tokens are replaced by
 * `***`, so a misconfigured `KLAVIYO_API_BASE` or `SEGMENT_API_HOST` never ends up in cron mail or
 * a log store. Runtime-neutral (plain string work), used by the relay, the webhook core and the CLI.
 */

/** What a redacted secret is replaced with. */
export const REDACTED = '***'

// `scheme://userinfo@`: userinfo runs to the last `@` before the path (one character class, so
// a long string without `@` costs linear time, never backtracking between two classes).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#'"<>]*@/gi
// Query (or fragment) parameters that carry a credential by their name.
const SECRET_PARAM = /([?&#;](?:api[_-]?key|apikey|key|token|access[_-]?token|refresh[_-]?token|id[_-]?token|secret|client[_-]?secret|password|passwd|pwd|auth|authorization|write[_-]?key|private[_-]?key|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s'"<>]*/gi
// A Klaviyo private key (`pk_` + 34 hex in practice) wherever it appears.
const KLAVIYO_PRIVATE_KEY = /\bpk_[A-Za-z0-9]{8,}/g
// An Authorization header value (Basic carries Segment's write key).
const AUTH_SCHEME = /\b(Basic|Bearer|Klaviyo-API-Key)\s+[A-Za-z0-9+/=._~-]{6,}/g

/** `text` with every credential found in URLs, query strings and auth values replaced by {@link REDACTED}. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(KLAVIYO_PRIVATE_KEY, `pk_${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
}
