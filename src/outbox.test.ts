// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { clear, done, jobs, put, uid, type Job } from './outbox'

const KEY = 'mailstitch:outbox'
const job = (id: string, o: Partial<Job> = {}): Job => ({ id, t: Date.now(), n: 0, k: 'segment', m: 'track', a: ['E'], ...o }) as Job
const raw = () => JSON.parse(localStorage.getItem(KEY) || 'null')

beforeEach(() => localStorage.clear())
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('outbox', () => {
  it('put adds jobs; jobs() reads them back', () => {
    put([job('a'), job('b')])
    expect(jobs().map((j) => j.id)).toEqual(['a', 'b'])
    expect(raw()).toHaveLength(2)
  })

  it('put replaces a job with the same id, and the `replaces` job', () => {
    put([job('cap', { k: 'capture', email: 'a@b.co' } as Partial<Job>)])
    put([job('x'), job('y')], 'cap')
    expect(jobs().map((j) => j.id)).toEqual(['x', 'y'])
    put([job('x', { n: 3 })])
    expect(jobs().map((j) => [j.id, j.n])).toEqual([['y', 0], ['x', 3]])
  })

  it('done removes one job and the key once empty', () => {
    put([job('a'), job('b')])
    done('a')
    expect(jobs().map((j) => j.id)).toEqual(['b'])
    done('b')
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('drops jobs older than a day and jobs tried 8 times', () => {
    const now = Date.now()
    put([job('old', { t: now - 86_400_001 }), job('tired', { n: 8 }), job('ok', { t: now - 86_000_000, n: 7 })])
    expect(jobs(now).map((j) => j.id)).toEqual(['ok'])
  })

  it('keeps at most the 30 newest jobs', () => {
    put(Array.from({ length: 35 }, (_, i) => job('j' + i)))
    const ids = jobs().map((j) => j.id)
    expect(ids).toHaveLength(30)
    expect(ids[0]).toBe('j5')
    expect(ids[29]).toBe('j34')
  })

  it('clear drops everything', () => {
    put([job('a')])
    clear()
    expect(localStorage.getItem(KEY)).toBeNull()
    expect(jobs()).toEqual([])
  })

  it.each(['{not json', '"a string"', '{"a":1}', '[null, 1]', 'null'])('ignores corrupt storage %s', (v) => {
    localStorage.setItem(KEY, v)
    expect(() => jobs()).not.toThrow()
    expect(jobs()).toEqual([])
  })

  it('never throws when storage is unavailable', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => { throw new DOMException('SecurityError') })
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => { throw new DOMException('QuotaExceededError') })
    expect(() => { put([job('a')]); done('a'); clear() }).not.toThrow()
    expect(jobs()).toEqual([])
  })
})

describe('uid', () => {
  it('is a UUID from crypto, unique', () => {
    const ids = new Set(Array.from({ length: 100 }, uid))
    expect(ids.size).toBe(100)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
  it('falls back without crypto.randomUUID (insecure context), still unique and short', () => {
    vi.stubGlobal('crypto', {})
    const ids = new Set(Array.from({ length: 100 }, uid))
    expect(ids.size).toBe(100)
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{12,40}$/)
  })
})
