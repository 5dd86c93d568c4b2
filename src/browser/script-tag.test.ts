// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SEND_DELAY_MS } from './core/capture'
import { afterSubmitSends, fakeFetch, runFakeTime } from '../../test/helpers/browser-fakes'
import type { MailstitchGlobal } from './script-tag'
import type { AnalyticsLike, ConsentOption, MailstitchOptions } from './types'

// The runner's second file as the built script tag loads it (the e2e tests load the real one):
// here, the runner's modules themselves.
vi.mock('./core/runner-loader.script', () => ({ loadRunner: () => import('./runner/runner') }))

type W = { mailstitch?: MailstitchGlobal; analytics?: unknown; cmp?: unknown }
const w = window as unknown as W

/** A `<script>` tag carrying the given data attributes. */
function tag(attrs: Record<string, string>): HTMLScriptElement {
  const el = document.createElement('script')
  el.src = 'https://cdn.example/mailstitch.min.js'
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
  return el
}
const options = async (attrs: Record<string, string>): Promise<MailstitchOptions> =>
  (await import('./script-tag')).optionsFromDataset(tag(attrs).dataset)
const ask = async (c: ConsentOption | undefined) => (typeof c === 'function' ? await c() : c)

/** Load the IIFE entry fresh, as if its `<script>` tag (or none) were running. */
async function load(current: HTMLScriptElement | null) {
  Object.defineProperty(document, 'currentScript', { value: current, configurable: true })
  vi.resetModules()
  return import('./script-tag')
}

beforeEach(() => {
  localStorage.clear()
  history.replaceState(null, '', '/')
})
afterEach(() => {
  w.mailstitch?.instance?.destroy()
  delete w.mailstitch
  delete w.analytics
  delete w.cmp
  delete (document as { currentScript?: unknown }).currentScript
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('optionsFromDataset', () => {
  it('maps every data attribute', async () => {
    const o = await options({
      'data-klaviyo-company-id': 'AbC123',
      'data-klaviyo-list-id': 'XyZ789',
      'data-forms': '#footer form',
      'data-external-id': 'anonymousId',
      'data-link-param': 'ref',
      'data-link-policy': 'never-adopt',
      'data-consent': 'shopify',
      'data-debug': 'true',
      'data-klaviyo-api-base': 'http://127.0.0.1:8080',
    })
    // The data-* names that are no options (klaviyoCompanyId, …) ride along unused.
    expect(o).toMatchObject({
      klaviyo: { companyId: 'AbC123', listId: 'XyZ789', apiBase: 'http://127.0.0.1:8080' },
      forms: '#footer form',
      externalId: 'anonymousId',
      linkParam: 'ref',
      linkPolicy: 'never-adopt',
      consent: 'shopify',
      debug: true,
    })
    expect(o.klaviyo).toEqual({ companyId: 'AbC123', listId: 'XyZ789', apiBase: 'http://127.0.0.1:8080' })
  })

  it('defaults with only a company id', async () => {
    const o = await options({ 'data-klaviyo-company-id': 'AbC123' })
    expect(o.klaviyo).toEqual({ companyId: 'AbC123', listId: undefined, apiBase: undefined })
    expect(o.forms ?? 'auto').toBe('auto') // absent: createMailstitch's default
    expect(o.externalId).toBeUndefined()
    expect(o.linkParam).toBeUndefined()
    expect(o.linkPolicy).toBeUndefined()
    expect(o.consent).toBeUndefined()
    expect(o.debug).toBe(false)
  })

  it('data-forms: "false" → false, "auto" → auto', async () => {
    expect((await options({ 'data-forms': 'false' })).forms).toBe(false)
    expect((await options({ 'data-forms': 'auto' })).forms).toBe('auto')
  })

  it('data-external-id: userId, anonymousId, "false" → false', async () => {
    expect((await options({ 'data-external-id': 'userId' })).externalId).toBe('userId')
    expect((await options({ 'data-external-id': 'anonymousId' })).externalId).toBe('anonymousId')
    expect((await options({ 'data-external-id': 'false' })).externalId).toBe(false)
  })

  it('data-link-policy: adopt-if-fresh passes through', async () => {
    expect((await options({ 'data-link-policy': 'adopt-if-fresh' })).linkPolicy).toBe('adopt-if-fresh')
  })

  it('data-debug: present-empty or "true" → on; "false" or absent → off', async () => {
    expect((await options({ 'data-debug': '' })).debug).toBe(true)
    expect((await options({ 'data-debug': 'true' })).debug).toBe(true)
    expect((await options({ 'data-debug': 'false' })).debug).toBe(false)
    expect((await options({})).debug).toBe(false)
  })

  it('data-consent: a dotted global function name, looked up when asked', async () => {
    const o = await options({ 'data-consent': 'cmp.gates.mailstitch' })
    expect(typeof o.consent).toBe('function')
    expect(await ask(o.consent)).toBe(false) // not defined yet: denied
    let allowed = true
    w.cmp = { gates: { mailstitch: () => allowed } }
    expect(await ask(o.consent)).toBe(true)
    allowed = false
    expect(await ask(o.consent)).toBe(false)
    w.cmp = { gates: { mailstitch: () => Promise.resolve(true) } }
    expect(await ask(o.consent)).toBe(true)
  })

  it('data-consent: a top-level global function name', async () => {
    ;(window as unknown as { myConsent?: () => boolean }).myConsent = () => true
    try {
      expect(await ask((await options({ 'data-consent': 'myConsent' })).consent)).toBe(true)
    } finally {
      delete (window as unknown as { myConsent?: unknown }).myConsent
    }
  })

  it('data-consent: calls the function as a method of its owner (CMP objects use `this`)', async () => {
    w.cmp = { granted: true, hasMarketing() { return (this as { granted: boolean }).granted } }
    expect(await ask((await options({ 'data-consent': 'cmp.hasMarketing' })).consent)).toBe(true)
  })

  it('data-consent: a missing name, a non-function, or a broken path → denied', async () => {
    expect(await ask((await options({ 'data-consent': 'nope.nothing.here' })).consent)).toBe(false)
    w.cmp = { flag: true }
    expect(await ask((await options({ 'data-consent': 'cmp.flag' })).consent)).toBe(false)
    w.cmp = null
    expect(await ask((await options({ 'data-consent': 'cmp.x.y' })).consent)).toBe(false)
  })
})

describe('the IIFE entry', () => {
  it('without a company id: exposes window.mailstitch, starts nothing', async () => {
    const { version } = await import('../shared/version')
    await load(tag({ src: 'x' }))
    expect(w.mailstitch).toBeDefined()
    expect(w.mailstitch!.version).toBe(version)
    expect(typeof w.mailstitch!.createMailstitch).toBe('function')
    expect(w.mailstitch!.instance).toBeUndefined()
  })

  it('without a current script (bundled/async): exposes the API only', async () => {
    await load(null)
    expect(w.mailstitch!.instance).toBeUndefined()
  })

  it('with data-klaviyo-company-id: starts on window.analytics with the tag’s options', async () => {
    const calls: unknown[][] = []
    w.analytics = {
      initialized: true,
      user: () => ({ anonymousId: () => 'anon-tag-1', id: () => null, traits: () => ({}) }),
      identify: (...a: unknown[]) => void calls.push(['identify', ...a]),
      track: (...a: unknown[]) => void calls.push(['track', ...a]),
    } satisfies AnalyticsLike
    const reqs = fakeFetch()
    await load(tag({ 'data-klaviyo-company-id': 'AbC123', 'data-klaviyo-list-id': 'L1', 'data-klaviyo-api-base': 'http://kl.test', 'data-link-param': 'ref' }))
    const inst = w.mailstitch!.instance!
    expect(inst).toBeDefined()
    expect(await inst.capture('ada@example.com', { subscribe: true })).toEqual({ ok: true, email: 'ada@example.com', anonymousId: 'anon-tag-1' })
    expect(reqs.map((r) => r.url)).toEqual(['http://kl.test/client/profiles?company_id=AbC123', 'http://kl.test/client/subscriptions?company_id=AbC123'])
    expect(inst.linkParams()).toEqual({ ref: 'anon-tag-1' })
  })

  it.each([
    ['absent', {}, ['a@example.com', 'b@example.com']],
    ['empty', { 'data-forms': '' }, ['a@example.com', 'b@example.com']],
    ['a selector', { 'data-forms': '#b' }, ['b@example.com']],
    ['"false"', { 'data-forms': 'false' }, []],
  ] as [string, Record<string, string>, string[]][])('data-forms %s: captures from the expected forms', async (_, attrs, expected) => {
    const emails: string[] = []
    w.analytics = {
      initialized: true,
      user: () => ({ anonymousId: () => 'anon-tag-1', id: () => null, traits: () => ({}) }),
      identify: (traits: { email: string }) => void emails.push(traits.email),
      track() {},
    }
    fakeFetch()
    await load(tag({ 'data-klaviyo-company-id': 'AbC123', ...attrs }))
    vi.useFakeTimers()
    document.body.innerHTML = '<form id="a"><input type="email" value="a@example.com"></form><form id="b"><input type="email" value="b@example.com"></form>'
    for (const f of Array.from(document.forms)) f.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    // Then a capture() that always goes through: once it arrived, the form captures (sent
    // SEND_DELAY_MS + NAVIGATION_GRACE_MS after their submits, no navigation in happy-dom) had their turn.
    await afterSubmitSends()
    const marker = w.mailstitch!.instance!.capture('marker@example.com')
    await runFakeTime(SEND_DELAY_MS + 1)
    await marker
    expect(emails.at(-1)).toBe('marker@example.com')
    expect(emails.slice(0, -1).sort()).toEqual(expected)
  })

  it('loaded twice: the first copy stays in charge', async () => {
    w.analytics = []
    await load(tag({ 'data-klaviyo-company-id': 'First1' }))
    const first = w.mailstitch!
    await load(tag({ 'data-klaviyo-company-id': 'Second' }))
    expect(w.mailstitch).toBe(first)
  })

  it('data-consent naming a missing function: captures are denied', async () => {
    w.analytics = { initialized: true, user: () => ({ anonymousId: () => 'a-1234567', id: () => null, traits: () => ({}) }), identify() {}, track() {} }
    await load(tag({ 'data-klaviyo-company-id': 'AbC123', 'data-consent': 'OneTrustNotLoaded.allows' }))
    expect(await w.mailstitch!.instance!.capture('ada@example.com')).toEqual({ ok: false, reason: 'no_consent' })
  })
})
