import { describe, expect, it } from 'vitest'
import { esc, html, raw, scriptJson } from './html'

describe('html', () => {
  it('escapes every interpolation', () => {
    const evil = `"><img src=x onerror='alert(1)'>&\``
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;&#96;">&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;&#96;</p>',
    )
  })

  it('keeps nested html and raw markup, joins arrays, drops null/undefined/false', () => {
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>${null}${undefined}${false}${0}${raw('<br>')}`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>0<br>')
  })

  it('esc handles non-strings', () => {
    expect(esc(undefined)).toBe('')
    expect(esc(5)).toBe('5')
  })

  it('scriptJson cannot close the script element or open a comment', () => {
    const s = scriptJson({ a: '</script><script>alert(1)</script><!--', b: '\u2028&' }).value
    expect(s).not.toMatch(/<|>|&|\u2028/)
    expect(JSON.parse(s)).toEqual({ a: '</script><script>alert(1)</script><!--', b: '\u2028&' })
  })
})
