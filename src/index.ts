import type { CaptureFailure, CaptureOptions, CaptureResult, Mailstitch, MailstitchOptions } from './types'
import { createSegment, type Identity } from './analytics'
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
type CaptureJob = Extract<Job, { k: 'capture' }>
type NewJob = Job extends infer J ? (J extends Job ? Omit<J, 'id' | 't' | 'n'> : never) : never

/** The same email captured again within this window on one page is sent once. */
const DEDUPE_MS = 5000

const fail = (reason: CaptureFailure): CaptureResult => ({ ok: false, reason })
const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(r, ms, v))

/**
 * Start mailstitch on this page: resolve an email-link landing, watch email forms, and finish
 * captures a previous page could not. Never throws: a broken environment yields an instance
 * whose captures resolve `{ ok: false }`.
 */
export function createMailstitch(options: MailstitchOptions = {}): Mailstitch {
  try {
    return start(options)
  } catch {
    return { capture: async () => fail('no_analytics'), linkParams: () => ({}), ready: async () => {}, destroy() {} }
  }
}

function start(o: MailstitchOptions): Mailstitch {
  const log = makeLog(o.debug)
  const param = o.linkParam || 'mst'
  const gate = createGate(o.consent)
  const seg = createSegment(o.analytics)
  const recent = new Map<string, number>()
  const offs: (() => void)[] = []
  let dead = false
  let waiting: string | undefined
  const allowed = async () => gate.now() ?? (await gate.check())

  // --- Landing: scrub first, whatever consent says; adopt only with consent. ---
  const arrival = arrive(param)
  let adoption: Promise<Adoption> = Promise.resolve(null)
  if (arrival || paramValues(document.referrer, param).length) {
    // Script placed before the Segment snippet: queue into the array the snippet will adopt.
    if (!seg.present()) (window as { analytics?: unknown }).analytics = []
    seg.call('addSourceMiddleware', [scrubber(param, () => adoption)])
  }
  const landOn = async (token: string): Promise<Adoption> => {
    // Synchronous when consent is: setAnonymousId is then queued before the page's first event.
    // Taken before the await: a second consent event meanwhile must not land it again.
    waiting = undefined
    if (!(await allowedSync()) || dead) return (waiting = token), null
    const who = seg.peek()
    const outcome = decide(token, who, o.linkPolicy === 'never-adopt' ? 'never-adopt' : 'adopt-if-fresh')
    log('landing', outcome)
    land(seg, token, who, outcome)
    return outcome === 'adopted' ? { from: who.anonymousId, to: token } : null
  }
  // `await` on a plain boolean still yields a microtask; keep the sync path truly sync.
  const allowedSync = (): boolean | Promise<boolean> => gate.now() ?? gate.check()
  // Events are held by the scrubber until the decision: never hold them long.
  const decideOn = (token: string) => (adoption = Promise.race([landOn(token), later(3000, null)]).catch(() => null))
  if (arrival?.token) decideOn(arrival.token)

  // --- Capture ---
  const externalId = (who: Identity, bridge: string) =>
    o.externalId === 'anonymousId' ? bridge : o.externalId !== false ? who.userId || undefined : undefined

  // Consent withdrawn meanwhile (the outbox was cleared): neither store nor send again.
  const bump = (j: Job) => (j.n++, gate.now() === false || put([j]), j.n)
  const dispatch = (j: Job): void => {
    if (dead || gate.now() === false) return
    if (j.k === 'capture') void run(j)
    // Counted before the call (its callback may remove the job): a Segment that never confirms
    // (blocked) is re-tried on a few page loads, not on every one for a day.
    else if (j.k === 'segment') bump(j), seg.call(j.m, j.a, (ok) => ok && done(j.id))
    else
      void sendKlaviyo(j, j.n).then((r) => {
        if (r.done) done(j.id), r.status >= 400 && log('klaviyo refused', r.status)
        else if (bump(j) < 4) setTimeout(dispatch, r.wait, j)
      })
  }

  const run = async (job: CaptureJob): Promise<CaptureResult> => {
    const { email, t, source = 'manual' } = job
    const who = await seg.identity()
    const bridge = who?.anonymousId
    if (!bridge || dead) return done(job.id), recent.delete(email), log('no analytics'), fail('no_analytics')
    const mk = (j: NewJob) => ({ id: uid(), t, n: 0, ...j }) as Job
    const opts = () => ({ messageId: 'mst-' + uid(), timestamp: new Date(t).toISOString(), anonymousId: bridge })
    const traits = { ...job.traits, email }
    const work = [
      mk({ k: 'segment', m: 'identify', a: who.userId ? [who.userId, traits, opts()] : [traits, opts()] }),
      mk({ k: 'segment', m: 'track', a: ['Email Captured', { source, form_id: job.formId ?? null }, { ...opts(), context: { traits: { email } } }] }),
      ...(o.klaviyo?.companyId
        ? klaviyoRequests(o.klaviyo, { email, bridgeId: bridge, externalId: externalId(who, bridge), traits: job.traits, source }).map((r) => mk({ k: 'klaviyo', ...r }))
        : []),
    ]
    writeState({ c: 1, b: bridge })
    put(work, job.id)
    work.forEach(dispatch)
    try {
      // klaviyo.js on the page: keep Klaviyo's own onsite identity in agreement.
      ;(window as { klaviyo?: { identify?: Function } }).klaviyo?.identify?.({ email, segment_anonymous_id: bridge })?.catch?.(log)
    } catch { /* third-party object */ }
    log('captured', email, bridge)
    return { ok: true, email, anonymousId: bridge }
  }

  // An async function runs synchronously up to its first await: with a synchronous consent
  // answer the job is persisted inside the submit event, before a full-page post unloads us.
  const capture = async (raw: string, opt: CaptureOptions = {}): Promise<CaptureResult> => {
    try {
      const email = normalizeEmail(raw)
      if (!email) return log('invalid email'), fail('invalid_email')
      if (dead) return fail('no_analytics')
      if (Date.now() - (recent.get(email) ?? -DEDUPE_MS) < DEDUPE_MS) return fail('duplicate')
      recent.set(email, Date.now())
      if (!(await allowedSync())) return recent.delete(email), log('no consent'), fail('no_consent')
      const job: CaptureJob = { id: uid(), t: Date.now(), n: 0, k: 'capture', email, source: opt.source, formId: opt.formId, traits: opt.traits }
      put([job])
      return await run(job)
    } catch {
      return fail('no_analytics')
    }
  }

  // --- Wiring ---
  const onEmail = (c: Captured) => void capture(c.email, c)
  if (o.forms !== false) offs.push(watchForms(o.forms || 'auto', onEmail))
  offs.push(watchKlaviyoForms(onEmail))
  const flush = async () => { if (await allowed()) jobs().forEach(dispatch) }
  offs.push(
    gate.watch(() => {
      if (!gate.now()) return clear(), clearState()
      if (waiting) decideOn(waiting)
      void flush()
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
