/**
 * Server-side HTML for the demo pages. Every interpolation into {@link html} is escaped unless it
 * is itself {@link Html} (built by `html` or {@link raw}), so attacker-controlled values (emails,
 * form values, event properties) can never become markup.
 */

/** Markup that is already safe. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

/** Escape text for an HTML text node or a quoted attribute value. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"'`]/g, (c) => ESC[c]!)
}

function part(v: unknown): string {
  if (v instanceof Html) return v.value
  if (Array.isArray(v)) return v.map(part).join('')
  if (v === null || v === undefined || v === false) return ''
  return esc(v)
}

/** Tagged template: `html\`<p>${userText}</p>\`` escapes `userText`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!
  return new Html(out)
}

/** Trusted markup (constants only, never data). */
export function raw(s: string): Html {
  return new Html(s)
}

/**
 * JSON for an inline `<script>`: `<`, `>`, `&` and the JS line separators are escaped so the value
 * cannot close the script element or start a comment.
 */
export function scriptJson(v: unknown): Html {
  return new Html(
    JSON.stringify(v)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  )
}
