// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { snippet, snippetFunction } from './index'

const w = window as unknown as { analytics?: unknown[]; mailstitch?: { landing?: Record<string, unknown> } }

/** Run the rendered snippet on a page at `url`, after a Segment snippet stub that buffered a page call. */
function runOn(url: string, options: Partial<Parameters<typeof snippet>[0]> = {}) {
  history.replaceState(null, '', url)
  w.analytics = [['page', { __t: 'bpc', u: location.href, s: location.search, r: '' }]]
  new Function(snippet({ src: '/dist/mailstitch.min.js', klaviyoCompanyId: 'AbC123', ...options }))()
  return { buffer: w.analytics as unknown[][], landing: w.mailstitch?.landing, script: document.head.querySelector('script[src="/dist/mailstitch.min.js"]') as HTMLScriptElement | null }
}

/**
 * Run the snippet with consent 'shopify' on a landing, and pass one event with `anonymousId: 'old-id'`
 * through the source middleware it queued: what reached `next` so far, and the landing it left.
 */
function holdOneEvent() {
  const { buffer, landing } = runOn('/p?mst=bridge-0123456789', { consent: 'shopify' })
  const middleware = buffer.find((call) => call[0] === 'addSourceMiddleware')![1] as (m: { payload: { obj: { anonymousId: string } }; next(p: unknown): void }) => Promise<void>
  const passed: unknown[] = []
  const held = middleware({ payload: { obj: { anonymousId: 'old-id' } }, next: (p) => passed.push(p) })
  const release = landing!.release as (adoption: unknown) => void
  return { buffer, landing: landing!, passed, held, release }
}

afterEach(() => {
  delete w.analytics
  delete w.mailstitch
  localStorage.clear()
  document.cookie = 'ajs_user_id=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  document.head.innerHTML = ''
})

describe('snippet()', () => {
  it('is JavaScript text without <script> tags, and refuses to render without src or company id', () => {
    const text = snippet({ src: 'https://cdn.example/mailstitch.min.js', klaviyoCompanyId: 'AbC123' })
    expect(text).not.toMatch(/<\/?script/i)
    expect(() => snippet({ src: '', klaviyoCompanyId: 'AbC123' })).toThrow(TypeError)
    expect(() => snippet({ src: '/m.js', klaviyoCompanyId: '' })).toThrow(TypeError)
  })

  it('cannot be broken out of by an option value', () => {
    const text = snippet({ src: '/m.js</script><script>alert(1)</script>', klaviyoCompanyId: 'AbC123' })
    expect(text).not.toContain('</script>')
  })

  it('on a landing: scrubs the address bar and the buffered page context, queues setAnonymousId, loads the core async with the options as data-*', () => {
    const { buffer, landing, script } = runOn('/product?utm_source=klaviyo&mst=bridge-0123456789#reviews', { klaviyoListId: 'XyZ789', debug: true })
    expect(location.pathname + location.search + location.hash).toBe('/product?utm_source=klaviyo#reviews')
    const context = buffer[0]![1] as { u: string; s: string }
    expect(context.u).not.toContain('mst=')
    expect(context.s).toBe('?utm_source=klaviyo')
    expect(buffer).toContainEqual(['setAnonymousId', 'bridge-0123456789'])
    expect(landing).toEqual({ token: 'bridge-0123456789', from: undefined })
    // Async: a script element made by script is (HTML's force-async flag); happy-dom does not model it, the e2e runs it in Chromium.
    expect(script?.parentNode).toBe(document.head)
    expect(script?.dataset).toMatchObject({ klaviyoCompanyId: 'AbC123', klaviyoListId: 'XyZ789', debug: 'true' })
  })

  it('an identified browser keeps its id (the core reports kept); a malformed token is scrubbed and ignored', () => {
    localStorage.setItem('ajs_user_id', JSON.stringify('user-42'))
    const identified = runOn('/p?mst=bridge-0123456789')
    expect(identified.buffer.some((call) => call[0] === 'setAnonymousId')).toBe(false)
    expect(identified.landing).toEqual({ token: 'bridge-0123456789' })
    delete w.mailstitch
    const malformed = runOn('/p?mst=%3Cscript%3E')
    expect(location.search).toBe('')
    expect(malformed.landing).toBeUndefined()
    expect(malformed.script).not.toBeNull()
  })

  it("consent 'shopify': the snippet holds for the core even where the Customer Privacy API already allows (it adopts only without a consent option)", () => {
    ;(window as unknown as { Shopify?: unknown }).Shopify = { customerPrivacy: { analyticsProcessingAllowed: () => true, marketingAllowed: () => true } }
    try {
      const { buffer, landing } = runOn('/p?mst=bridge-0123456789', { consent: 'shopify' })
      expect(buffer.some((call) => call[0] === 'addSourceMiddleware')).toBe(true)
      expect(buffer.some((call) => call[0] === 'setAnonymousId')).toBe(false)
      expect(landing?.release).toBeTypeOf('function')
      expect(landing && 'from' in landing).toBe(false) // the core decides and reports
    } finally {
      delete (window as unknown as { Shopify?: unknown }).Shopify
    }
  })

  it('the consent option at run time wins over the parts printed: a snippet printed without a consent option never adopts with one', () => {
    const adopting = new Function(`return ${snippetFunction({})}`)() as (src: string, data: Record<string, string>) => void
    history.replaceState(null, '', '/p?mst=bridge-0123456789')
    w.analytics = []
    adopting('/dist/mailstitch.min.js', { klaviyoCompanyId: 'AbC123', consent: 'shopify' })
    expect(location.search).toBe('')
    expect((w.analytics as unknown[][]).some((call) => call[0] === 'setAnonymousId')).toBe(false)
    expect(w.mailstitch?.landing).toEqual({ token: 'bridge-0123456789' })
  })

  it('a page carries only the parts its options need', () => {
    const parts = (options: Parameters<typeof snippetFunction>[0]) => {
      const text = snippetFunction(options)
      return { adopt: text.includes('setAnonymousId'), hold: text.includes('addSourceMiddleware') }
    }
    expect(parts({})).toEqual({ adopt: true, hold: false })
    expect(parts({ consent: 'shopify' })).toEqual({ adopt: false, hold: true })
    expect(parts({ consent: 'cmp.allowsMarketing' })).toEqual({ adopt: false, hold: true })
    expect(parts({ linkPolicy: 'never-adopt' })).toEqual({ adopt: false, hold: false })
    expect(parts({ linkPolicy: 'never-adopt', consent: 'shopify' })).toEqual({ adopt: false, hold: false })
    // Never-adopt carries neither part: the smallest.
    const length = (options: Parameters<typeof snippetFunction>[0]) => snippetFunction(options).length
    expect(length({ linkPolicy: 'never-adopt' })).toBeLessThan(length({}))
    expect(length({ linkPolicy: 'never-adopt' })).toBeLessThan(length({ consent: 'shopify' }))
  })

  it('a named consent function: the snippet holds for the core; never-adopt: it neither adopts nor holds (the core keeps the id)', () => {
    const named = runOn('/p?mst=bridge-0123456789', { consent: 'cmp.allowsMarketing' })
    expect(named.buffer.some((call) => call[0] === 'setAnonymousId')).toBe(false)
    expect(named.buffer.some((call) => call[0] === 'addSourceMiddleware')).toBe(true)
    expect(named.landing?.release).toBeTypeOf('function')
    delete w.mailstitch
    document.head.innerHTML = ''
    const never = runOn('/p?utm_source=klaviyo&mst=bridge-0123456789', { linkPolicy: 'never-adopt' })
    expect(location.search).toBe('?utm_source=klaviyo')
    expect(never.buffer.map((call) => call[0])).toEqual(['page'])
    expect(never.landing).toEqual({ token: 'bridge-0123456789' })
    expect(never.script?.dataset.linkPolicy).toBe('never-adopt')
  })

  it('with a consent option it decides nothing: a source middleware holds events until the core releases them, re-keyed', async () => {
    const { buffer, passed, held, release } = holdOneEvent()
    expect(buffer.some((call) => call[0] === 'setAnonymousId')).toBe(false)
    await Promise.resolve()
    expect(passed).toEqual([]) // held
    release({ from: 'old-id', to: 'bridge-0123456789' })
    await held
    expect(passed).toEqual([{ obj: { anonymousId: 'bridge-0123456789' } }])
  })

  it('a shopper who leaves before any decision: the snippet releases the held events unchanged at beforeunload', async () => {
    vi.useFakeTimers()
    try {
      const { passed } = holdOneEvent()
      await vi.advanceTimersByTimeAsync(1000)
      expect(passed).toEqual([]) // held
      window.dispatchEvent(new Event('beforeunload'))
      await vi.advanceTimersByTimeAsync(0)
      expect(passed).toEqual([{ obj: { anonymousId: 'old-id' } }])
    } finally {
      vi.useRealTimers()
    }
  })

  it("the hold's beforeunload listener goes with the hold (Firefox keeps no page with one in its bfcache)", async () => {
    const added = vi.spyOn(window, 'addEventListener')
    const removed = vi.spyOn(window, 'removeEventListener')
    try {
      const { release } = holdOneEvent()
      const listener = added.mock.calls.find((call) => call[0] === 'beforeunload')?.[1]
      expect(listener).toBeTypeOf('function')
      expect(removed.mock.calls.some((call) => call[0] === 'beforeunload')).toBe(false)
      release(null)
      await Promise.resolve()
      expect(removed.mock.calls).toContainEqual(['beforeunload', listener])
    } finally {
      added.mockRestore()
      removed.mockRestore()
    }
  })

  it('a core that never loads: the snippet releases the held events unchanged after 10 s', async () => {
    vi.useFakeTimers()
    try {
      const { passed } = holdOneEvent()
      await vi.advanceTimersByTimeAsync(9900)
      expect(passed).toEqual([])
      await vi.advanceTimersByTimeAsync(200)
      expect(passed).toEqual([{ obj: { anonymousId: 'old-id' } }])
    } finally {
      vi.useRealTimers()
    }
  })

  it('a core that took the landing (late on a starved phone): only its decision releases the events, even after 10 s', async () => {
    vi.useFakeTimers()
    try {
      const { landing, passed, release } = holdOneEvent()
      await vi.advanceTimersByTimeAsync(2000)
      landing.taken = true // as core/landing.ts does when it starts
      await vi.advanceTimersByTimeAsync(9000)
      expect(passed).toEqual([]) // past the snippet's 10 s: still the core's to release
      release({ from: 'old-id', to: 'bridge-0123456789' })
      await vi.advanceTimersByTimeAsync(0)
      expect(passed).toEqual([{ obj: { anonymousId: 'bridge-0123456789' } }])
    } finally {
      vi.useRealTimers()
    }
  })
})
