// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LEGACY_OUTBOX_KEY, OUTBOX_KEY, addJob, changeJob, clearJobs, fromLegacy, fromStored, newJobId, readJobs, removeJob, saveJob, toStored, type Job } from './outbox'

const job = (over: Partial<Job> = {}): Job => ({ id: newJobId(), capturedAt: Date.now(), runs: 0, email: 'ada@example.com', source: 'form', subscribe: false, sent: [], ...over })
const stored = () => JSON.parse(localStorage.getItem(OUTBOX_KEY) || 'null')

beforeEach(() => localStorage.clear())
afterEach(() => vi.useRealTimers())

describe('the v1 serializer', () => {
  it('maps readable fields to short stored keys and back, losslessly', () => {
    const j = job({ formId: 'footer', traits: { first_name: 'Ada' }, subscribe: true, bridgeId: 'anon-1', userId: 'u-1', runs: 2, sent: ['identify', 'profile'] })
    const s = toStored(j)
    expect(s).toEqual({ i: j.id, t: j.capturedAt, n: 2, e: 'ada@example.com', s: 'form', f: 'footer', r: { first_name: 'Ada' }, o: true, b: 'anon-1', u: 'u-1', d: ['identify', 'profile'] })
    expect(fromStored(JSON.parse(JSON.stringify(s)))).toEqual(j)
  })

  it('refuses malformed stored jobs', () => {
    expect(fromStored(null as unknown as object)).toBeUndefined()
    expect(fromStored({ i: 'x' })).toBeUndefined()
    expect(fromStored({ e: 'a@b.co' })).toBeUndefined()
    expect(fromStored({ i: 'x', t: 1, s: 'form', e: 'a@b.co', d: 'nope' })!.sent).toEqual([])
  })

  it('re-validates every job it reads back: what storage holds is not trusted (issue 19)', () => {
    const good = toStored(job({ traits: { first_name: 'Ada' }, bridgeId: 'anon-aaaa-1111' })) as Record<string, unknown>
    expect(fromStored({ ...good })).toBeDefined()
    const refused: Record<string, unknown>[] = [
      { e: '<img src=x onerror=alert(1)>@example.com' }, // no email
      { e: 'Ada@Example.com' }, // not as a capture stores it (normalized)
      { e: 42 },
      { s: 'x'.repeat(5 * 1024 * 1024) }, // a 5 MB source
      { s: undefined },
      { f: 'x'.repeat(16_001) },
      { u: { id: 1 } },
      { b: 'x'.repeat(129) },
      { r: 'not an object' },
      { r: ['a'] },
      { r: { blob: 'x'.repeat(16_000) } },
      { t: '2026-01-01' },
      { i: 'x'.repeat(65) },
      { d: ['identify', 'delete-everything'] },
    ]
    for (const change of refused) expect(fromStored({ ...good, ...change }), JSON.stringify(change).slice(0, 80)).toBeUndefined()
    // A job a page stored is dropped unsent when it was tampered with; the others are read.
    localStorage.setItem(OUTBOX_KEY, JSON.stringify([good, { ...good, i: 'tampered', e: '<img onerror>' }, { ...good, i: 'big', s: 'x'.repeat(5 * 1024 * 1024) }]))
    expect(readJobs().map((each) => each.id)).toEqual([good.i])
  })

  it('stores under the versioned key', () => {
    const j = job()
    saveJob(j)
    expect(stored()).toEqual([toStored(j)])
    expect(readJobs()).toEqual([JSON.parse(JSON.stringify(j))])
  })
})

describe('migration from 0.1.0 (`mailstitch:outbox`, bitmask of confirmed steps)', () => {
  const T0 = Date.now() - 1000
  const legacy = (over: object = {}) => ({ id: 'old-1', t: T0, n: 1, email: 'old@example.com', source: 'form', formId: 'f1', traits: { plan: 'pro' }, b: 'anon-old', u: null, d: 0, ...over })

  it('reads every stored job of the previous release: none is lost', () => {
    localStorage.setItem(LEGACY_OUTBOX_KEY, JSON.stringify([legacy(), legacy({ id: 'old-2', email: 'two@example.com', d: 5 })]))
    const jobs = readJobs()
    expect(jobs.map((j) => j.id)).toEqual(['old-1', 'old-2'])
    expect(jobs[0]).toMatchObject({ email: 'old@example.com', capturedAt: legacy().t, runs: 1, source: 'form', formId: 'f1', traits: { plan: 'pro' }, bridgeId: 'anon-old', sent: [] })
    expect(jobs[1]!.sent).toEqual(['identify', 'profile']) // 5 = 1 | 4
    expect(localStorage.getItem(LEGACY_OUTBOX_KEY)).toBeNull() // moved, once
    expect(stored()).toHaveLength(2)
  })

  it('decodes each bit of the old mask', () => {
    expect(fromLegacy(legacy({ d: 15 }) as never)!.sent).toEqual(['identify', 'track', 'profile', 'subscription'])
    expect(fromLegacy(legacy({ d: 2 }) as never)!.sent).toEqual(['track'])
    expect(fromLegacy(legacy({ d: 8 }) as never)!.sent).toEqual(['subscription'])
  })

  it('keeps a subscription only for the Shopify newsletter form (the one opt-in of 0.1.0 under today’s rule)', () => {
    expect(fromLegacy(legacy({ source: 'shopify-customer-form' }) as never)!.subscribe).toBe(true)
    expect(fromLegacy(legacy({ source: 'form' }) as never)!.subscribe).toBe(false)
    expect(fromLegacy(legacy({ source: 'klaviyo-form' }) as never)!.subscribe).toBe(false)
  })

  it('merges with jobs already under the new key, without doubles', () => {
    const current = job({ id: 'old-1' })
    saveJob(current)
    localStorage.setItem(LEGACY_OUTBOX_KEY, JSON.stringify([legacy(), legacy({ id: 'old-3' })]))
    expect(readJobs().map((j) => j.id)).toEqual(['old-1', 'old-3'])
  })

  it('drops malformed, expired and exhausted legacy jobs, keeps the rest', () => {
    localStorage.setItem(LEGACY_OUTBOX_KEY, JSON.stringify([null, { id: 'x' }, legacy({ id: 'expired', t: Date.now() - 2 * 864e5 }), legacy({ id: 'tired', n: 8 }), legacy({ id: 'ok' })]))
    expect(readJobs().map((j) => j.id)).toEqual(['ok'])
  })

  it('a corrupt legacy value is left alone and does not break reads', () => {
    localStorage.setItem(LEGACY_OUTBOX_KEY, '{not json')
    saveJob(job({ id: 'new' }))
    expect(readJobs().map((j) => j.id)).toEqual(['new'])
  })
})

describe('reading, saving, removing', () => {
  it('drops jobs older than a day and jobs run 8 times', () => {
    vi.useFakeTimers()
    saveJob(job({ id: 'tired', runs: 8 }))
    saveJob(job({ id: 'young' }))
    expect(readJobs().map((j) => j.id)).toEqual(['young'])
    vi.setSystemTime(Date.now() + 864e5 + 1)
    expect(readJobs()).toEqual([])
  })

  it('replaces a job by id and keeps the 30 newest', () => {
    for (let i = 0; i < 35; i++) saveJob(job({ id: 'j' + i }))
    saveJob(job({ id: 'j34', runs: 3 }))
    const jobs = readJobs()
    expect(jobs).toHaveLength(30)
    expect(jobs[0]!.id).toBe('j5')
    expect(jobs.at(-1)).toMatchObject({ id: 'j34', runs: 3 })
  })

  it('addJob appends a captured job to the stored text without parsing it, and leaves the legacy key to the job runner', () => {
    localStorage.setItem(LEGACY_OUTBOX_KEY, JSON.stringify([{ id: 'old', t: Date.now(), n: 0, email: 'a@b.co', source: 'form', d: 0 }]))
    const before = JSON.stringify([{ unknown: 'kept for the job runner to judge' }])
    localStorage.setItem(OUTBOX_KEY, before)
    const parse = vi.spyOn(JSON, 'parse')
    addJob(job({ id: 'new' }))
    expect(parse).not.toHaveBeenCalled()
    parse.mockRestore()
    expect(localStorage.getItem(OUTBOX_KEY)!.startsWith(before.slice(0, -1) + ',')).toBe(true)
    expect(stored()).toEqual([{ unknown: 'kept for the job runner to judge' }, toStored(job({ id: 'new', capturedAt: stored()[1].t }))])
    expect(localStorage.getItem(LEGACY_OUTBOX_KEY)).not.toBeNull() // upgraded by the job runner, not inside a submit
    expect(readJobs().map((each) => each.id)).toEqual(['new', 'old'])
  })

  it('addJob: a long list is parsed and trimmed to the 30 newest; text that is no list of jobs is replaced, the new job kept', () => {
    for (let i = 0; i < 200; i++) addJob(job({ id: 'j' + i, traits: { note: 'x'.repeat(60) } }))
    expect(stored().length).toBeLessThanOrEqual(200)
    expect(JSON.stringify(stored()).length).toBeLessThan(20_000) // bounded: over the append limit the list is trimmed
    expect(stored().at(-1).i).toBe('j199')
    for (const text of ['{corrupt', '[1,2]', '[]', 'null', '[{"i":"a"},{broken']) {
      localStorage.setItem(OUTBOX_KEY, text)
      addJob(job({ id: 'after ' + text }))
      expect(readJobs().map((each) => each.id), text).toContain('after ' + text)
    }
  })

  it('changeJob edits or removes one job in place, in one read and one write; a job no longer stored stays so', () => {
    saveJob(job({ id: 'a' }))
    saveJob(job({ id: 'b' }))
    changeJob('a', (stored) => ({ ...stored, sent: ['identify'] }))
    expect(readJobs().map((j) => [j.id, j.sent])).toEqual([['a', ['identify']], ['b', []]]) // its place kept
    changeJob('a', () => undefined)
    expect(readJobs().map((j) => j.id)).toEqual(['b'])
    const change = vi.fn((stored: Job) => stored)
    const before = localStorage.getItem(OUTBOX_KEY)
    changeJob('gone', change)
    expect(change).not.toHaveBeenCalled()
    expect(localStorage.getItem(OUTBOX_KEY)).toBe(before)
  })

  it('removeJob and clearJobs (consent withdrawn: also the legacy key)', () => {
    saveJob(job({ id: 'a' }))
    saveJob(job({ id: 'b' }))
    removeJob('a')
    expect(readJobs().map((j) => j.id)).toEqual(['b'])
    localStorage.setItem(LEGACY_OUTBOX_KEY, '[]')
    clearJobs()
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
    expect(localStorage.getItem(LEGACY_OUTBOX_KEY)).toBeNull()
  })

  it('never throws when storage throws', () => {
    const refuse = () => {
      throw new Error('SecurityError')
    }
    vi.stubGlobal('localStorage', { getItem: refuse, setItem: refuse, removeItem: refuse })
    expect(() => saveJob(job())).not.toThrow()
    expect(readJobs()).toEqual([])
    expect(() => clearJobs()).not.toThrow()
    vi.unstubAllGlobals()
  })

  it('job ids are unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, newJobId))
    expect(ids.size).toBe(1000)
  })
})

describe('storage that fails (issue 19)', () => {
  afterEach(() => vi.restoreAllMocks())

  it('addJob says whether the job was stored: full storage (QuotaExceededError) and disabled storage refuse it, without throwing', async () => {
    const { storageDisabled, storageFull } = await import('../../../test/helpers/browser-fakes')
    expect(addJob(job({ id: 'fits' }))).toBe(true)
    const full = storageFull()
    expect(addJob(job({ id: 'full-append' }))).toBe(false) // the appending way
    localStorage.removeItem(OUTBOX_KEY)
    expect(addJob(job({ id: 'full-new' }))).toBe(false) // the parsing way
    full()
    const undo = storageDisabled()
    try {
      expect(() => localStorage.getItem(OUTBOX_KEY)).toThrow()
      expect(addJob(job({ id: 'disabled' }))).toBe(false)
      expect(readJobs()).toEqual([])
    } finally {
      undo()
    }
    expect(readJobs()).toEqual([])
  })

  it('a job whose stored form would be longer than a job read back may be is not stored (it is sent at once instead)', () => {
    expect(addJob(job({ id: 'long', traits: { note: 'x'.repeat(16_000) } }))).toBe(false)
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull()
  })
})
