/**
 * Test helper: the stand-ins the browser SDK's unit tests share (a loaded analytics.js, `fetch`,
 * forms and their submits, the state cookie, the instances a test starts) and the fake-time
 * steps that let a capture's sends run.
 */
import { vi } from 'vitest'
import { NAVIGATION_GRACE_MS, SEND_DELAY_MS } from '../../src/browser/core/delivery'
import { createMailstitch } from '../../src/browser/index'
import type { AnalyticsLike, Mailstitch, MailstitchOptions, PluginContext, SegmentPlugin, SegmentUtilityPlugin } from '../../src/browser/types'

// --- time ----------------------------------------------------------------------------------

/**
 * Let fake time run `ms` and what it starts finish: the runner's dynamic import (real module
 * loading, not a timer) and the promise chains after it.
 */
export async function runFakeTime(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  for (let i = 0; i < 3; i++) {
    await vi.dynamicImportSettled()
    await vi.advanceTimersByTimeAsync(0)
  }
}

/** Past a form submit's sends: SEND_DELAY_MS, then NAVIGATION_GRACE_MS when the submit was not prevented (no navigation in happy-dom). */
export const afterSubmitSends = (): Promise<void> => runFakeTime(SEND_DELAY_MS + NAVIGATION_GRACE_MS + 1)

/** One turn of the event loop (a 0 ms timer): what was queued before it ran; under fake timers, `runFakeTime(0)`. */
export const tick = (): Promise<unknown> => (vi.isFakeTimers() ? runFakeTime(0) : new Promise((resolve) => setTimeout(resolve, 0)))

/** Await a capture; under fake timers, let its sends start (SEND_DELAY_MS after it, plus the 1 ms fake timers add to a timer set during a tick). */
export async function settled<T>(p: Promise<T>): Promise<T> {
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(SEND_DELAY_MS + 1)
  return p
}

/** Await `s.ready()`; under fake timers, let the start-up work's SEND_DELAY_MS pass first. */
export async function ready(s: Mailstitch): Promise<void> {
  if (vi.isFakeTimers()) await runFakeTime(SEND_DELAY_MS + 1)
  return s.ready()
}

// --- analytics.js --------------------------------------------------------------------------

/** One call the fake analytics received: method name and arguments (the trailing callback stripped). */
/** A call; `anonymousId` is the one analytics-next would key its event with (see `fakeAnalytics`). */
export type Call = { m: string; args: unknown[]; anonymousId?: string | null }

/** A registered Segment plugin as analytics-next runs it on one event: the handler of its type, then on. */
export type PluginRun = (ctx: { payload: { obj: object }; next(payload: unknown): void }) => Promise<unknown>

/** Run `plugin` the way analytics-next's middleware chain does. */
export const asMiddleware = (plugin: SegmentPlugin): PluginRun => ({ payload, next }) => {
  const type = ((payload.obj as { type?: string }).type ?? 'track') as 'page' | 'track' | 'identify'
  return plugin[type]({ event: payload.obj } as PluginContext).then(() => next(payload))
}

/** How the fake analytics.js starts. */
export interface FakeAnalyticsInit {
  /** Its anonymousId; default `anon-aaaa-1111`, `null` for none. */
  anonymousId?: string | null
  userId?: string | null
  /** An email among its stored traits. */
  email?: string
  /** false: delivery is never attempted (the call's promise and callback never settle). */
  deliver?: boolean
  /** false: analytics.js not loaded (yet), as on a page that unloads first or with an ad blocker. */
  loaded?: boolean
}

/** The fake analytics.js and what it saw. */
export interface FakeAnalytics {
  analytics: AnalyticsLike
  /** Every call in order, but plugin registrations. */
  calls: Call[]
  /** `register` and `deregister` calls in order, each with the plugin's name. */
  registrations: Call[]
  /** The registered plugins, as analytics-next runs them. */
  mws: PluginRun[]
  /** The argument lists of the calls to method `m`. */
  of(m: string): unknown[][]
  /** The properties of each `Email Link Landed` tracked. */
  landed(): unknown[]
}

/**
 * A loaded analytics.js stand-in: records calls (the trailing callback stripped) and, unless
 * `deliver: false`, invokes that callback and resolves the call's promise with the event's
 * context, as analytics.js does once delivery was attempted. As analytics-next does
 * (`maybeUpdateAnonId`), an `anonymousId` in a call's options becomes its anonymousId; each call
 * records the anonymousId its event is keyed with.
 */
export function fakeAnalytics(init: FakeAnalyticsInit = {}): FakeAnalytics {
  let anon = init.anonymousId === undefined ? 'anon-aaaa-1111' : init.anonymousId
  const calls: Call[] = []
  const registrations: Call[] = []
  const mws: PluginRun[] = []
  const rec = (m: string) => (...args: unknown[]) => {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as (ctx: unknown) => void) : undefined
    const options = args[args.length - 1] as { anonymousId?: unknown } | undefined
    if (m !== 'page' && typeof options?.anonymousId === 'string') anon = options.anonymousId
    calls.push({ m, args, anonymousId: anon })
    if (init.deliver === false) return new Promise(() => {})
    const ctx = { failedDelivery: () => undefined }
    cb?.(ctx)
    return Promise.resolve(ctx)
  }
  const analytics = {
    initialized: init.loaded !== false,
    user: () => ({ anonymousId: () => anon, id: () => init.userId ?? null, traits: () => (init.email ? { email: init.email } : {}) }),
    identify: rec('identify'),
    track: rec('track'),
    page: rec('page'),
    ready: (cb?: () => void) => void (init.loaded !== false && cb?.()),
    setAnonymousId: (id?: string) => { calls.push({ m: 'setAnonymousId', args: [id] }); anon = id ?? null },
    // analytics-next's register: the plugin's `load` is awaited as it is added (a loaded
    // instance calls it at once; the stub buffers the call until analytics.js loads).
    register: (plugin: SegmentPlugin | SegmentUtilityPlugin) => {
      registrations.push({ m: 'register', args: [plugin.name] })
      if (plugin.type === 'before') mws.push(asMiddleware(plugin))
      if (init.loaded !== false) void Promise.resolve().then(() => plugin.load())
    },
    deregister: (name: string) => { registrations.push({ m: 'deregister', args: [name] }) },
  }
  const of = (m: string) => [...calls, ...registrations].filter((c) => c.m === m).map((c) => c.args)
  return { analytics: analytics as AnalyticsLike, calls, registrations, mws, of, landed: () => of('track').filter((a) => a[0] === 'Email Link Landed').map((a) => a[1]) }
}

// --- fetch ---------------------------------------------------------------------------------

/** A request the fake `fetch` received, its JSON:API body parsed. */
export type Req = { url: string; init: RequestInit; body: { data: { type: string; attributes: Record<string, any>; relationships?: any } } }
/** How the fake `fetch` answers one request: a status, a network error, or never. */
export type Reply = { status: number; retryAfter?: string } | 'reject' | 'hang'

/** Stub `fetch`: records each request, answers from `replies` in turn (the last one repeats; none: 202). */
export function fakeFetch(...replies: Reply[]): Req[] {
  const reqs: Req[] = []
  const fn = vi.fn((url: string, init: RequestInit) => {
    reqs.push({ url: String(url), init, body: init.body === undefined ? undefined : JSON.parse(String(init.body)) } as Req)
    const r = replies.length ? (replies.length > 1 ? replies.shift()! : replies[0]!) : { status: 202 }
    if (r === 'reject') return Promise.reject(new TypeError('Failed to fetch'))
    if (r === 'hang') return new Promise<never>(() => {})
    return Promise.resolve({ status: r.status, headers: { get: (h: string) => (h.toLowerCase() === 'retry-after' ? r.retryAfter ?? null : null) } })
  })
  vi.stubGlobal('fetch', fn)
  return reqs
}

// --- storage that fails ---------------------------------------------------------------------

/**
 * localStorage full, as another app's cache leaves it: what is there reads, every write throws
 * QuotaExceededError (as browsers do: https://html.spec.whatwg.org/multipage/webstorage.html#dom-storage-setitem).
 * Returns the undo (happy-dom's Storage is not restored by vi.restoreAllMocks).
 */
export function storageFull(): () => void {
  const spy = vi.spyOn(localStorage, 'setItem').mockImplementation(() => {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
  })
  return () => spy.mockRestore()
}

/** localStorage disabled (blocked cookies and site data, a sandboxed frame): reading `window.localStorage` throws. Returns the undo. */
export function storageDisabled(): () => void {
  const own = Object.getOwnPropertyDescriptor(globalThis, 'localStorage')
  Object.defineProperty(globalThis, 'localStorage', {
    configurable: true,
    get() {
      throw new DOMException('Access is denied for this document.', 'SecurityError')
    },
  })
  return () => {
    if (own) Object.defineProperty(globalThis, 'localStorage', own)
    else delete (globalThis as { localStorage?: unknown }).localStorage
  }
}

// --- the page ------------------------------------------------------------------------------

/** The mailstitch state cookie, parsed (undefined when absent). */
export const stateCookie = () => {
  const m = document.cookie.match(/(?:^|; )mst_state=([^;]*)/)
  return m ? JSON.parse(decodeURIComponent(m[1]!)) : undefined
}

/** Expire every cookie of the page. */
export function clearCookies(): void {
  for (const c of document.cookie.split(';')) {
    const n = c.split('=')[0]!.trim()
    if (n) document.cookie = n + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  }
}

/** A fresh page: no storage, no cookies, at `/`, no `window.analytics`, an empty body. */
export function resetPage(): void {
  localStorage.clear()
  clearCookies()
  history.replaceState(null, '', '/')
  document.body.innerHTML = ''
  delete (window as { analytics?: unknown }).analytics
}

/** Put a form in the page from HTML and return it. */
export function addForm(html: string, attrs = ''): HTMLFormElement {
  const wrap = document.createElement('div')
  wrap.innerHTML = `<form ${attrs}>${html}</form>`
  document.body.appendChild(wrap)
  return wrap.querySelector('form')!
}

/** A signup form with one email field holding `email`. */
export const emailForm = (email: string, attrs = ''): HTMLFormElement =>
  addForm(`<input type="email" name="email" value="${email}"><button>Join</button>`, attrs)

/** Submit as a browser does (a cancelable, bubbling `submit` on the form); returns the event. */
export function submit(f: HTMLFormElement): Event {
  const e = new Event('submit', { bubbles: true, cancelable: true })
  f.dispatchEvent(e)
  return e
}

// --- instances -----------------------------------------------------------------------------

const instances: Mailstitch[] = []

/** `s`, to be destroyed by `endTest`. */
export function destroyAfterTest(s: Mailstitch): Mailstitch {
  instances.push(s)
  return s
}

/** createMailstitch with `defaults` under `options`; the instance is destroyed by `endTest`. */
export const startWith = (defaults: MailstitchOptions, options?: MailstitchOptions): Mailstitch =>
  destroyAfterTest(createMailstitch({ ...defaults, ...options }))

/** After each test: destroy what it started, real timers again, globals and mocks restored. */
export function endTest(): void {
  instances.splice(0).forEach((s) => s.destroy())
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
}
