// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import { emailFrom, hasEmailField, isEmailField } from './email-field'

beforeEach(() => {
  document.body.innerHTML = ''
})

/** Put a form in the page from HTML and return it. */
function form(html: string): HTMLFormElement {
  const wrap = document.createElement('div')
  wrap.innerHTML = `<form>${html}</form>`
  document.body.appendChild(wrap)
  return wrap.querySelector('form')!
}

describe('emailFrom', () => {
  it('reads an input[type=email], trimmed (normalisation is the pipeline’s job)', () => {
    expect(emailFrom(form('<input type="email" name="x" value="  Ada@Example.com ">'))).toBe('Ada@Example.com')
  })

  it('reads a text field named or id-ed like email', () => {
    expect(emailFrom(form('<input type="text" name="contact[email]" value="a@b.co">'))).toBe('a@b.co')
    expect(emailFrom(form('<input name="E-Mail" value="c@d.co">'))).toBe('c@d.co') // no type = text
    expect(emailFrom(form('<input type="text" id="newsletter-email" value="e@f.co">'))).toBe('e@f.co')
  })

  it('ignores hidden, password and other non-email fields even when named email', () => {
    expect(emailFrom(form('<input type="hidden" name="email" value="h@i.co"><input type="password" name="email_pw" value="j@k.co">'))).toBeUndefined()
    expect(emailFrom(form('<input type="text" name="name" value="l@m.co"><textarea name="email">n@o.co</textarea>'))).toBeUndefined()
  })

  it('with two email fields, takes the first that looks like an address', () => {
    expect(emailFrom(form('<input type="email" name="email" value="ada@example.com"><input type="email" name="email_confirm" value="ada@example.com">'))).toBe('ada@example.com')
    expect(emailFrom(form('<input type="email" name="email" value="not-yet"><input type="email" name="confirm" value="bob@example.com">'))).toBe('bob@example.com')
    expect(emailFrom(form('<input type="email" name="email" value=""><input type="email" name="confirm" value="bob@example.com">'))).toBe('bob@example.com')
  })

  it('falls back to the first filled value (the pipeline then refuses it as invalid)', () => {
    expect(emailFrom(form('<input type="email" value=""><input type="email" value="nope"><input type="email" value="nada">'))).toBe('nope')
  })

  it('gives nothing for a form without an email field, or with empty ones', () => {
    expect(emailFrom(form('<input type="text" name="q" value="shoes"><button>Go</button>'))).toBeUndefined()
    expect(emailFrom(form('<input type="email" value="   ">'))).toBeFalsy()
  })
})

describe('isEmailField / hasEmailField (one rule for the SDK and the Shopify add-on)', () => {
  it('counts type=email and text fields named like email; never hidden or password fields', () => {
    const f = form('<input type="email" name="a"><input type="text" name="contact[email]"><input type="hidden" name="email"><input type="password" name="email"><input type="checkbox" name="email_optin">')
    expect(Array.from(f.elements).map(isEmailField)).toEqual([true, true, false, false, false])
  })

  it('hasEmailField: true for a form with one, false for one with only hidden/password email fields or none', () => {
    expect(hasEmailField(form('<input type="email">'))).toBe(true)
    expect(hasEmailField(form('<input type="hidden" name="email" value="a@b.co"><input type="password" name="email">'))).toBe(false)
    expect(hasEmailField(null)).toBe(false)
    expect(hasEmailField(document)).toBe(false)
  })
})
