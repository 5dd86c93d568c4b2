import type { CaptureOptions, CaptureResult, LinkPolicy, Mailstitch, MailstitchOptions } from './types'
import { createSegment, addMiddleware, type Identity } from './analytics'
import { createGate } from './consent'
import { normalizeEmail } from './email'
import { watchForms, watchKlaviyoForms, type Captured } from './forms'
import { klaviyoRequests, sendKlaviyo } from './klaviyo-client'
import { arrive, decide, land, scrubber } from './landing'
import { makeLog } from './log'
import { clear, done, jobs, put, uid, type Job } from './outbox'
import { readState, writeState, clearState } from './state'
import { paramValues } from './url'

export type * from './types'
export { normalizeEmail } from './email'
export { version } from './version'

type Adoption = { from: string | null; to: string } | null
const DEDUPE_MS = 5000

const fail = (reason: Extract<CaptureResult, { ok: false }>['reason']): CaptureResult => ({ ok: false, reason })

const inert: Mailstitch = {
  capture: () => Promise.resolve(fail('no_analytics')),
  linkParams: () => ({}),
  ready: () => Promise.resolve(),
  destroy: () => {},
}

/**
 * Start mailstitch on this page: resolve an email-link landing, watch email forms, and flush
 * captures a previous page could not finish. Never throws; a broken environment yields an
 * instance whose captures resolve `{ ok: false }`.
 */
export function createMailstitch(options: MailstitchOptions = {}): Mailstitch {
  try {
    return start(options)
  } catch {
    return inert
  }
}

function start(o: MailstitchOptions): Mailstitch {
  const log = makeLog(o.debug)
  const param = o.linkParam || 'mst'
  const policy: LinkPolicy = o.linkPolicy === 'never-adopt' ? 'never-adopt' : 'adopt-if-fresh'
  const extMode = o.externalId === false || o.externalId === 'anonymousId' ? o.externalId : 'userId'
  const gate = createGate(o.consent)
  const seg = createSegment(o.analytics)
  const recent = new Map<string, number>()
  const offs: (() => void)[] = []
  let dead = false
  let waitingToken: string | undefined

  // --- Landing: scrub first, whatever consent says; adopt only with consent. ---
  const arrival = arrive(param)
  let adoption: Promise<Adoption> = Promise.resolve(null)
  if (arrival || paramValues(document.referrer, param).length) {
    // Script placed before the Segment snippet: leave our calls in the array the snippet adopts.
    if (!seg.present()) (window as unknown as { analytics: unknown[] }).analytics = []
    addMiddleware(seg, scrubber(param, () => adoption))
  }
  const landOn = async (token: string): Promise<Adoption> => {
    // Synchronous when consent is: then setAnonymousId is queued before the page's first event.
    if (!(gate.now() ?? (await gate.check())) || dead) {
      waitingToken = token
      log('landing waits for consent')
      return null
    }
    waitingToken = undefined
    const who = seg.peek()
    const outcome = decide(token, who, policy)
    log('landing', outcome)
    land(seg, token, who, outcome)
    return outcome === 'adopted' ? { from: who.anonymousId, to: token } : null
  }
  if (arrival?.token) adoption = bounded(landOn(arrival.token))

  // --- Capture ---
  const externalId = (who: Identity, bridge: string) =>
    extMode === 'anonymousId' ? bridge : extMode === 'userId' ? who.userId || undefined : undefined

  const dispatch = (j: Job): void => {
    if (dead) return
    if (j.k === 'capture') void run(j)
    else if (j.k === 'segment') {
      if (!seg.call(j.m, j.a, (ok) => ok && done(j.id))) bump(j)
    } else {
      void sendKlaviyo(j, j.n).then((r) => {
        if (r.done) {
          done(j.id)
          if (r.status >= 400) log('klaviyo refused', r.status)
        } else if (bump(j) < 4 && !dead) setTimeout(() => dispatch(j), r.wait)
      })
    }
  }
  const bump = (j: Job) => { j.n++; put([j]); return j.n }

  const run = async (job: Extract<Job, { k: 'capture' }>): Promise<CaptureResult> => {
    const who = await seg.identity()
    if (!who?.anonymousId || dead) {
      done(job.id)
      recent.delete(job.email)
      log('no analytics')
      return fail('no_analytics')
    }
    const { email, t } = job
    const bridge = who.anonymousId
    const timestamp = new Date(t).toISOString()
    const traits = { ...job.traits, email }
    const opts = () => ({ messageId: 'mst-' + uid(), timestamp, anonymousId: bridge })
    const work: Job[] = [
      { id: uid(), t, n: 0, k: 'segment', m: 'identify', a: who.userId ? [who.userId, traits, opts()] : [traits, opts()] },
      {
        id: uid(), t, n: 0, k: 'segment', m: 'track',
        a: ['Email Captured', { source: job.source ?? 'manual', form_id: job.formId ?? null }, { ...opts(), context: { traits: { email } } }],
      },
    ]
    if (o.klaviyo?.companyId)
      for (const r of klaviyoRequests(o.klaviyo, { email, bridgeId: bridge, externalId: externalId(who, bridge), traits: job.traits, source: job.source }))
        work.push({ id: uid(), t, n: 0, k: 'klaviyo', ...r })
    writeState({ c: 1, b: bridge })
    put(work, job.id)
    work.forEach(dispatch)
    try {
      // klaviyo.js on the page: keep Klaviyo's own onsite identity in agreement.
      const kl = (window as unknown as { klaviyo?: { identify?: (p: object) => unknown } }).klaviyo
      ;(kl?.identify?.({ email, segment_anonymous_id: bridge }) as Promise<unknown> | undefined)?.catch?.(() => {})
    } catch { /* third-party object */ }
    log('captured', email, bridge)
    return { ok: true, email, anonymousId: bridge }
  }

  // An async function runs synchronously up to its first await: the job below is persisted
  // inside the submit event, before a full-page form post can unload us.
  const capture = async (raw: string, opt: CaptureOptions = {}): Promise<CaptureResult> => {
    try {
      const email = normalizeEmail(raw)
      if (!email) { log('invalid email'); return fail('invalid_email') }
      if (dead) return fail('no_analytics')
      const now = Date.now()
      if (now - (recent.get(email) ?? -Infinity) < DEDUPE_MS) return fail('duplicate')
      recent.set(email, now)
      const job: Job = { id: uid(), t: now, n: 0, k: 'capture', email, source: opt.source, formId: opt.formId, traits: opt.traits }
      if (!(gate.now() ?? (await gate.check()))) {
        recent.delete(email)
        log('no consent')
        return fail('no_consent')
      }
      put([job])
      return await run(job)
    } catch {
      return fail('no_analytics')
    }
  }

  // --- Wiring ---
  const onEmail = (c: Captured) => void capture(c.email, { source: c.source, formId: c.formId })
  if (o.forms !== false) offs.push(watchForms(typeof o.forms === 'string' ? o.forms : 'auto', onEmail))
  offs.push(watchKlaviyoForms(onEmail))

  const flush = async () => {
    if (!(gate.now() ?? (await gate.check()))) return
    for (const j of jobs()) dispatch(j)
  }
  offs.push(
    gate.watch(() => {
      if (gate.now()) {
        if (waitingToken) adoption = bounded(landOn(waitingToken))
        void flush()
      } else {
        clear()
        clearState()
      }
    }),
  )
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
      offs.splice(0).forEach((f) => f())
    },
  }
}

/** Events are held by the scrubber until the landing decision; never hold them long. */
function bounded(p: Promise<Adoption>): Promise<Adoption> {
  return Promise.race([p, new Promise<Adoption>((r) => setTimeout(() => r(null), 3000))]).catch(() => null)
}
