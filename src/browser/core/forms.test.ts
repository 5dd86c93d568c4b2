// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMailstitch } from '../index'
import { addForm as form, afterSubmitSends, resetPage, submit } from '../../../test/helpers/browser-fakes'
import type { AnalyticsLike, MailstitchOptions } from '../types'

type Captured = { email: string; source: string; formId?: string }

let offs: (() => void)[] = []
let got: Captured[] = []
const onEmail = (c: Captured) => void got.push(c)

/**
 * Start mailstitch with the `forms` option on a recording analytics: each capture comes back to
 * `cb` as what Segment's `Email Captured` carries (email, source, form_id; null → undefined).
 * Returns the instance's destroy.
 */
function watchForms(forms: MailstitchOptions['forms'], cb: (c: Captured) => void) {
  const analytics = {
    initialized: true,
    user: () => ({ anonymousId: () => 'anon-forms-1', id: () => null, traits: () => ({}) }),
    identify: () => {},
    track: (event: string, props: { source: string; form_id: string | null }, opts: { context: { traits: { email: string } } }) => {
      if (event === 'Email Captured') cb({ email: opts.context.traits.email, source: props.source, formId: props.form_id ?? undefined })
    },
  } as unknown as AnalyticsLike
  const s = createMailstitch({ analytics, forms })
  return () => s.destroy()
}
/** Klaviyo onsite forms only (`forms: false`). */
const watchKlaviyoForms = (cb: (c: Captured) => void) => watchForms(false, cb)
/** Let a capture run: a submit nothing prevented (no navigation in happy-dom) sends after SEND_DELAY_MS + NAVIGATION_GRACE_MS. */
const settle = afterSubmitSends

beforeEach(() => {
  vi.useFakeTimers()
  got = []
  resetPage() // no outbox from an earlier test
})
afterEach(() => {
  offs.splice(0).forEach((f) => f())
  vi.useRealTimers()
})

describe('watchForms', async () => {
  it.each([
    ['captures the submit of an email form with source "form" and the form id',
      '<input type="email" name="email" value="ada@example.com">', 'id="footer-signup"',
      [{ email: 'ada@example.com', source: 'form', formId: 'footer-signup' }]],
    ['leaves formId undefined when the form has no id',
      '<input type="email" value="ada@example.com">', '',
      [{ email: 'ada@example.com', source: 'form', formId: undefined }]],
    ['ignores a form without an email field',
      '<input type="search" name="q" value="ada@example.com"><input type="text" name="name" value="Ada">', '',
      []],
    ['ignores a form whose email fields are empty',
      '<input type="email" value="  "><input type="text" name="email_confirm" value="">', '',
      []],
    ['labels Shopify’s customer form (form_type=customer, contact[email])',
      '<input type="hidden" name="form_type" value="customer"><input type="hidden" name="utf8" value="✓">' +
      '<input type="hidden" name="contact[tags]" value="newsletter"><input type="email" name="contact[email]" value="Shop@Example.com">',
      'method="post" action="/contact#contact_form" id="ContactFooter" accept-charset="UTF-8"',
      [{ email: 'shop@example.com', source: 'shopify-customer-form', formId: 'ContactFooter' }]],
    ['does not label other Shopify form types as the customer form',
      '<input type="hidden" name="form_type" value="contact"><input type="email" name="contact[email]" value="a@b.co">', '',
      [{ email: 'a@b.co', source: 'form', formId: undefined }]],
    ['sees a form whose email field is inside nested markup',
      '<div><fieldset><label>Email <input type="email" value="deep@example.com"></label></fieldset></div>', '',
      [{ email: 'deep@example.com', source: 'form', formId: undefined }]],
  ] as [string, string, string, Captured[]][])('%s', async (_, html, attrs, expected) => {
    offs.push(watchForms('auto', onEmail))
    submit(form(html, attrs))
    await settle()
    expect(got).toEqual(expected)
  })

  it('a field named "id" (Shopify product forms: the variant id) is not taken for the form id', async () => {
    // Browsers let a named control shadow a form's own properties (`form.id` is then the
    // <input name="id">); happy-dom does not, so emulate it.
    const clobbered = (f: HTMLFormElement) => Object.defineProperty(f, 'id', { get: () => f.elements.namedItem('id') ?? '' })
    offs.push(watchForms('auto', onEmail))
    submit(clobbered(form('<input type="hidden" name="id" value="4242"><input type="email" name="contact[email]" value="notify@example.com">', 'action="/cart/add"')))
    submit(clobbered(form('<input type="hidden" name="id" value="4242"><input type="email" value="both@example.com">', 'id="notify-me"')))
    await settle()
    expect(got).toEqual([
      { email: 'notify@example.com', source: 'form', formId: undefined },
      { email: 'both@example.com', source: 'form', formId: 'notify-me' },
    ])
  })

  it('with a selector, captures only matching forms', async () => {
    offs.push(watchForms('form.newsletter, #signup', onEmail))
    submit(form('<input type="email" value="one@example.com">', 'class="newsletter"'))
    submit(form('<input type="email" value="two@example.com">', 'id="login"'))
    submit(form('<input type="email" value="three@example.com">', 'id="signup"'))
    await settle()
    expect(got.map((c) => c.email)).toEqual(['one@example.com', 'three@example.com'])
  })

  it('survives an invalid selector without breaking the submit', async () => {
    offs.push(watchForms('form[[', onEmail))
    const e = submit(form('<input type="email" value="a@b.co">'))
    await settle()
    expect(got).toEqual([])
    expect(e.defaultPrevented).toBe(false)
  })

  it('sees forms added to the DOM later (delegated listener)', async () => {
    offs.push(watchForms('auto', onEmail))
    await vi.advanceTimersByTimeAsync(0)
    const late = document.createElement('form')
    late.innerHTML = '<input type="email" name="email" value="late@example.com">'
    document.body.appendChild(late)
    submit(late)
    await settle()
    expect(got.map((c) => c.email)).toEqual(['late@example.com'])
  })

  it.each([
    ['calls preventDefault (AJAX forms)', (e: Event) => e.preventDefault(), true],
    ['stops propagation on the form', (e: Event) => e.stopImmediatePropagation(), false],
  ] as [string, (e: Event) => void, boolean][])('still captures when a site handler %s', async (_, siteHandler, prevented) => {
    offs.push(watchForms('auto', onEmail))
    const f = form('<input type="email" value="site@example.com">')
    f.addEventListener('submit', siteHandler)
    expect(submit(f).defaultPrevented).toBe(prevented) // the site's doing
    await settle()
    expect(got.map((c) => c.email)).toEqual(['site@example.com'])
  })

  it('never calls preventDefault or alters the form itself', async () => {
    offs.push(watchForms('auto', onEmail))
    const f = form('<input type="email" name="email" value="  Ada@Example.com  "><input type="hidden" name="x" value="1">', 'action="/subscribe" method="post"')
    const before = f.outerHTML
    const spy = vi.spyOn(Event.prototype, 'preventDefault')
    const e = submit(f)
    expect(e.defaultPrevented).toBe(false)
    expect(spy).not.toHaveBeenCalled()
    expect(f.outerHTML).toBe(before)
    expect((f.elements.namedItem('email') as HTMLInputElement).value).toBe('  Ada@Example.com  ')
    await settle()
    expect(got).toHaveLength(1)
  })

  it('does not throw into the page when analytics throws', async () => {
    offs.push(watchForms('auto', () => { throw new Error('boom') })) // thrown inside analytics.track
    const errors: unknown[] = []
    const onErr = (e: ErrorEvent) => errors.push(e.error)
    window.addEventListener('error', onErr)
    expect(() => submit(form('<input type="email" value="a@b.co">'))).not.toThrow()
    window.removeEventListener('error', onErr)
    expect(errors).toEqual([])
  })

  it('ignores submit events whose target is not a form', async () => {
    offs.push(watchForms('auto', onEmail))
    const div = document.createElement('div')
    document.body.appendChild(div)
    div.dispatchEvent(new Event('submit', { bubbles: true }))
    await settle()
    expect(got).toEqual([])
  })

  it('stops capturing once destroyed', async () => {
    const off = watchForms('auto', onEmail)
    off()
    submit(form('<input type="email" value="a@b.co">'))
    await settle()
    expect(got).toEqual([])
  })
})

describe('watchKlaviyoForms', async () => {
  const kf = (detail: unknown) => window.dispatchEvent(new CustomEvent('klaviyoForms', { detail }))

  it('captures a submit with metaData.$email, formId as a string', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type: 'submit', formId: 'WxYz12', metaData: { $email: 'kl@example.com', $source: 'Popup' } })
    kf({ type: 'submit', formId: 123456, metaData: { $email: 'num@example.com' } })
    await settle()
    expect(got).toEqual([
      { email: 'kl@example.com', source: 'klaviyo-form', formId: 'WxYz12' },
      { email: 'num@example.com', source: 'klaviyo-form', formId: '123456' },
    ])
  })

  it('captures a submit with metaData.email', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type: 'submit', metaData: { email: 'plain@example.com' } })
    await settle()
    expect(got).toEqual([{ email: 'plain@example.com', source: 'klaviyo-form', formId: undefined }])
  })

  it('prefers $email over email', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type: 'submit', formId: 'F', metaData: { $email: 'dollar@example.com', email: 'plain@example.com' } })
    await settle()
    expect(got.map((c) => c.email)).toEqual(['dollar@example.com'])
  })

  it('ignores a submit without an email (e.g. SMS-only step)', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type: 'submit', formId: 'F', metaData: { $phone_number: '+15555550100' } })
    kf({ type: 'submit', formId: 'F' })
    kf({ type: 'submit', formId: 'F', metaData: { $email: 42 } })
    await settle()
    expect(got).toEqual([])
  })

  it.each(['open', 'embedOpen', 'close', 'redirectedToUrl', 'Submit'])('ignores type %s', async (type) => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type, formId: 'F', metaData: { $email: 'x@example.com' } })
    await settle()
    expect(got).toEqual([])
  })

  it('ignores malformed events without throwing', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    expect(() => {
      kf(null)
      kf(undefined)
      kf('submit')
      kf({ type: 'submit', metaData: null })
      window.dispatchEvent(new Event('klaviyoForms'))
    }).not.toThrow()
    await settle()
    expect(got).toEqual([])
  })

  it('multi-step form: the email from stepSubmit is captured once, the later submit adds nothing', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type: 'stepSubmit', formId: 'MULTI', metaData: { $email: 'step@example.com' } })
    await settle()
    expect(got).toEqual([{ email: 'step@example.com', source: 'klaviyo-form', formId: 'MULTI' }])
    vi.setSystemTime(Date.now() + 60_000) // the shopper fills the SMS step a minute later: past the 5 s duplicate window
    kf({ type: 'stepSubmit', formId: 'MULTI', metaData: { $email: 'step@example.com', $phone_number: '+15555550100' } })
    kf({ type: 'submit', formId: 'MULTI', metaData: { $email: 'step@example.com' } })
    await settle()
    expect(got).toHaveLength(1)
  })

  it('multi-step form: an SMS-first step without an email, then the email on submit → captured from submit', async () => {
    offs.push(watchKlaviyoForms(onEmail))
    kf({ type: 'stepSubmit', formId: 'SMS', metaData: { $phone_number: '+15555550100' } })
    kf({ type: 'submit', formId: 'SMS', metaData: { $email: 'late@example.com' } })
    kf({ type: 'stepSubmit', formId: 'SMS', metaData: { $email: 'late@example.com' } })
    await settle()
    expect(got).toEqual([{ email: 'late@example.com', source: 'klaviyo-form', formId: 'SMS' }])
  })

  it('stops once destroyed', async () => {
    watchKlaviyoForms(onEmail)()
    kf({ type: 'submit', metaData: { $email: 'x@example.com' } })
    await settle()
    expect(got).toEqual([])
  })
})

describe('the runner asked for ahead of a capture', () => {
  afterEach(() => {
    vi.doUnmock('./handoff')
    vi.resetModules()
    resetPage()
  })

  it('focus entering an email field asks for the runner; other fields and a destroyed instance do not', async () => {
    vi.resetModules()
    const prefetchRunner = vi.fn()
    vi.doMock('./handoff', async (importOriginal) => ({ ...(await importOriginal<object>()), prefetchRunner }))
    const { watchForms: watch } = await import('./forms')
    const { createContext } = await import('./context')
    const context = createContext({ analytics: { identify() {}, track() {} } })
    watch(context)
    const f = form('<input name="q" type="search"><input type="email" name="email">')
    f.querySelector<HTMLInputElement>('input[name=q]')!.focus()
    expect(prefetchRunner).not.toHaveBeenCalled()
    f.querySelector<HTMLInputElement>('input[type=email]')!.focus()
    expect(prefetchRunner).toHaveBeenCalledTimes(1)
    for (const cleanup of context.cleanups) cleanup()
    f.querySelector<HTMLInputElement>('input[name=q]')!.focus()
    f.querySelector<HTMLInputElement>('input[type=email]')!.focus()
    expect(prefetchRunner).toHaveBeenCalledTimes(1)
  })
})
