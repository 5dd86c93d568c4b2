import type { AnalyticsLike, CaptureFailure, CaptureOptions, CaptureResult, Mailstitch, MailstitchOptions } from './types'
import { segment } from './analytics'
import { askConsent } from './consent'
import { normalizeEmail } from './email'
import { emailFrom, listen } from './forms'
import { klaviyoRequests, sendKlaviyo } from './klaviyo-client'
import { makeLog } from './log'
import { clear, jobs, save, uid, type Job } from './outbox'
import { readState, writeState } from './state'
import { arrive, scrubber, type Adoption } from './landing'
import { scan } from '../shared/url'

export type * from './types'
export { normalizeEmail } from './email'
export { version } from '../shared/version'



/**
 * Start mailstitch on this page: resolve an email-link landing, watch email forms, and finish
 * captures a previous page could not. Never throws: everything it touches on the page is
 * guarded (storage, cookies, history, listeners, analytics), so even a locked-down page gets
 * an instance whose captures resolve.
 */
export function createMailstitch(o?: MailstitchOptions): Mailstitch {
  o ||= {} // also `null` from untyped callers
  const log = makeLog(o.debug)
  const fail = (reason: CaptureFailure): CaptureResult => (log(reason), { ok: false, reason })
  const param = o.linkParam || 'mst'

  // --- Segment, in any of its shapes: the npm `AnalyticsBrowser` given, else `window.analytics`. ---
  const get = () => o.analytics || (window as { analytics?: AnalyticsLike }).analytics
  const [peek, call] = segment(get)
  /** When each email was last captured on this page (the same email within 5 s is sent once). */
  const recent: Record<string, number> = {}
  let dead = false

  // --- Consent: asked before any cookie, storage write or request. ---
  const consent = o.consent
  const check = () => askConsent(consent)
  // Checked before each Klaviyo retry: destroyed or consent withdrawn meanwhile → stop.
  const live = () => !dead && check() !== false

  // --- Landing: scrub first, whatever consent says; adopt only with consent. ---
  /** The link's token (0: malformed); while consent is missing, the one to land once it is given. */
  let token = arrive(param)
  let adoption: Promise<Adoption> = Promise.resolve()
  if (token != undefined || scan(document.referrer, param)[0].length) {
    // Script placed before the Segment snippet: queue into the array the snippet will adopt.
    get() || ((window as { analytics?: unknown }).analytics = [])
    call('addSourceMiddleware', [scrubber(param, () => adoption)])
  }
  /**
   * Resolve a landing with `t`: 'same' when it is already the anonymousId; adopt it as the
   * Segment anonymousId when the policy allows and the browser is fresh (no userId, no email
   * captured or known, no earlier adoption); else keep identity. Reports `Email Link Landed`.
   * Events are held by the scrubber until the decision: never hold them long.
   */
  const land = (t: string) => {
    // Taken before the await: a second consent event meanwhile must not land it again.
    token = undefined
    adoption = Promise.race([
      (async (): Promise<Adoption> => {
        if (!(await check()) || dead) return (token = t), null
        const [from, userId, email] = peek()
        const s = readState()
        const outcome = from == t ? 'same' : o.linkPolicy != 'never-adopt' && !(userId || email || s.c || s.a) ? 'adopted' : 'kept'
        log('landing', outcome)
        const adopted = outcome == 'adopted'
        if (adopted) call('setAnonymousId', [t]), writeState({ a: t, b: t })
        call('track', ['Email Link Landed', adopted && from ? { outcome, previous_anonymous_id: from } : { outcome }])
        return adopted ? [from, t] : null
      })(),
      new Promise<void>((r) => setTimeout(r, 3000)),
    ])
  }
  if (token) land(token)

  // --- Capture ---
  /** Run a capture's unconfirmed steps: Segment identify and track, then each Klaviyo request. */
  const run = async (j: Job): Promise<CaptureResult> => {
    const { id, email } = j
    // Counted before the calls (their callbacks may remove the job): a Segment that never
    // confirms (blocked) is re-tried on a few page loads, not on every one for a day.
    j.n++
    save(j)
    if (!j.b) {
      // The anonymousId, once analytics can tell: on a first page view analytics.js creates it
      // when it loads (wait up to 3 s). No analytics (blocked, missing): no capture.
      let who = get() && peek()
      if (who && !who[0]) await new Promise((r) => { setTimeout(r, 3000); call('ready', [r]) }), (who = peek())
      if (!who || !who[0] || dead) return save(j, 1), delete recent[email], fail('no_analytics')
      ;[j.b, j.u] = who as [string, string | null, unknown]
      save(j)
      writeState({ c: 1, b: j.b })
      try {
        // klaviyo.js on the page: keep Klaviyo's own onsite identity in agreement.
        ;(window as { klaviyo?: { identify?: Function } }).klaviyo?.identify?.({ email, segment_anonymous_id: j.b })?.catch?.(log)
      } catch { /* third-party object */ }
      log('captured', email, j.b)
    }
    const b = j.b
    // Segment messageIds derive from the job id, so a re-run on a later page dedupes.
    const opts = (s: string, x?: object) => ({ messageId: 'mst-' + id + s, timestamp: new Date(j.t), anonymousId: b, ...x })
    const traits = { ...j.traits, email }
    const steps: ((done: (ok: boolean | number) => void) => void)[] = [
      // Without a userId the traits-only form, which keeps whatever userId analytics.js has.
      (done) => call('identify', [j.u, traits, opts('-i')].slice(+!j.u), done),
      (done) => call('track', ['Email Captured', { source: j.source, form_id: j.formId ?? null }, opts('-t', { context: { traits: { email } } })], done),
      ...(o.klaviyo?.companyId
        ? klaviyoRequests(o.klaviyo, j, o.externalId == 'anonymousId' ? b : o.externalId !== false && j.u).map(
            (r) => (done: (s: number) => void) => void sendKlaviyo(r, live).then((s) => (log('klaviyo', s), done(s))),
          )
        : []),
    ]
    steps.forEach((step, i) =>
      j.d & (1 << i) ||
      step((ok) => {
        // A confirmed step is recorded in the stored job (read back: cleared meanwhile, as on
        // consent withdrawn, stays cleared); the job goes once every step is confirmed.
        const s = ok && jobs().find((x) => x.id == id)
        if (s) save(s, (s.d |= 1 << i) == (1 << steps.length) - 1)
      }),
    )
    return { ok: true, email, anonymousId: b }
  }

  // An async function runs synchronously up to its first await: with a synchronous consent
  // answer the job is persisted inside the submit event, before a full-page post unloads us.
  const capture = async (raw: string, opt: CaptureOptions = {}): Promise<CaptureResult> => {
    try {
      const email = normalizeEmail(raw)
      if (!email) return fail('invalid_email')
      if (dead) return fail('no_analytics')
      const now = Date.now()
      if (recent[email] > now - 5000) return fail('duplicate')
      recent[email] = now
      if (!(await check())) return delete recent[email], fail('no_consent')
      return await run({ ...opt, id: uid(), t: now, n: 0, d: 0, email, source: opt.source ?? 'manual', s: !!opt.subscribe })
    } catch {
      return fail('no_analytics')
    }
  }

  // --- Wiring ---
  const forms = o.forms
  const offs = [
    // One delegated, capturing `submit` listener on the document: it sees forms added later
    // (SPA routes, Shopify section re-renders), runs before site handlers that may
    // `preventDefault`, and never touches the event, so the form posts exactly as it would.
    forms !== false &&
      listen(document, 'submit', (e: Event) => {
        try {
          const form = e.target as HTMLFormElement
          const email = form.matches(forms && forms != 'auto' ? forms : 'form') && emailFrom(form)
          const shop = (form.elements.namedItem('form_type') as HTMLInputElement | null)?.value == 'customer'
          if (email)
            void capture(email, {
              source: shop ? 'shopify-customer-form' : 'form',
              formId: form.getAttribute('id'), // not form.id: an <input name="id"> shadows it
              // An opt-in: Shopify's newsletter form, a marked signup form, or a ticked accepts-marketing box.
              subscribe: shop || form.matches('[data-mailstitch-subscribe]') || !!form.querySelector('input[type=checkbox][name*=accepts_marketing]:checked'),
            } as CaptureOptions)
        } catch { /* never break the host's submit */ }
      }, true),
    // Klaviyo onsite forms announce submits as a `klaviyoForms` window event.
    listen(window, 'klaviyoForms', (e: CustomEvent) => {
      const d = e.detail
      const email = d?.type == 'submit' && (d.metaData?.$email ?? d.metaData?.email)
      // Never a subscription: Klaviyo's forms subscribe per their own settings.
      if (typeof email == 'string') void capture(email, { source: 'klaviyo-form', formId: d.formId == null ? null : '' + d.formId } as CaptureOptions)
    }),
    // The visitor answered Shopify's banner: withdrawn (or not known) → forget everything;
    // given → resume a pending landing and send what is left.
    consent == 'shopify' &&
      listen(document, 'visitorConsentCollected', () => {
        if (check() !== true) return clear(), writeState(null)
        if (token) land(token)
        void flush()
      }),
  ]
  const flush = async () => { if (await check()) jobs().forEach(run) }
  const started = Promise.all([adoption, flush()]).then(() => {}, () => {})

  return {
    capture,
    linkParams: () => {
      const b = readState().b
      return b ? { [param]: b } : {}
    },
    ready: () => started,
    destroy: () => {
      dead = true
      for (const off of offs) off && off()
    },
  }
}
