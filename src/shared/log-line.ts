/**
 * Log lines that cannot be abused: whatever a request carried (a forged header of 16 KB, control
 * characters, a newline that would fake a second line) is escaped, secrets are redacted, and the
 * line is cut to {@link MAX_LOG_LINE} characters, saying how much was left out.
 */
import { redactSecrets } from './redact'

/** Longest line written to a log, characters (the cut adds a short note). */
export const MAX_LOG_LINE = 512

/** Characters of a line looked at before redaction: far past any cut, bounded for a forged 1 MB header. */
const HEAD_LIMIT = 64 * 1024

/** `text` redacted, with control characters escaped (`\n` → `\\n`), cut to `max` characters. */
export function logLine(text: string, max: number = MAX_LOG_LINE): string {
  // Redact before cutting (a cut could split a credential from the `@` that marks it), on a bounded
  // head so a huge input costs bounded work; escapes lengthen the text, so it is cut after them.
  const head = text.length > HEAD_LIMIT ? text.slice(0, HEAD_LIMIT) : text
  const safe = redactSecrets(head).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
  if (safe.length <= max && head.length === text.length) return safe
  let cut = safe.slice(0, max)
  // Never leave half a surrogate pair at the end.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1)
  return `${cut}… (${text.length} characters in all)`
}

/** A logger that passes every line through {@link logLine}. */
export function boundedLog(log: (line: string) => void): (line: string) => void {
  return (line) => log(logLine(line))
}
