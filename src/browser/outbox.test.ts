// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { clear, jobs, save, uid, type Job } from './outbox'

const KEY = 'mailstitch:outbox'
const job = (id: string, o: Partial<Job> = {}): Job => ({ id, t: Date.now(), n: 0, d: 0, email: 'a@b.co', source: 'manual', ...o })
const raw = () => JSON.parse(localStorage.getItem(KEY) || 'null')

beforeEach(() => localStorage.clear())
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('outbox', () => {
  it('save adds jobs; jobs() reads them back', () => {
    save(job('a'))
    save(job('b'))
    expect(jobs().map((j) => j.id)).toEqual(['a', 'b'])
    expect(raw()).toHaveLength(2)
  })

  it('save replaces the job with the same id (moved to the end)', () => {
    save(job('x'))
    save(job('y'))
    save(job('x', { n: 3, d: 1, b: 'anon-1' }))
    expect(jobs().map((j) => [j.id, j.n, j.d, j.b])).toEqual([['y', 0, 0, undefined], ['x', 3, 1, 'anon-1']])
  })

  it('save(job, drop) removes it, and the key once empty', () => {
    save(job('a'))
    save(job('b'))
    save(job('a'), true)
    expect(jobs().map((j) => j.id)).toEqual(['b'])
    save(job('b'), true)
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('drops jobs older than a day and jobs run 8 times', () => {
    const now = Date.now()
    vi.spyOn(Date, 'now').mockReturnValue(now)
    localStorage.setItem(KEY, JSON.stringify([job('old', { t: now - 86_400_001 }), job('tired', { n: 8 }), job('ok', { t: now - 86_000_000, n: 7 })]))
    expect(jobs().map((j) => j.id)).toEqual(['ok'])
  })

  it('keeps at most the 30 newest jobs', () => {
    for (let i = 0; i < 35; i++) save(job('j' + i))
    const ids = jobs().map((j) => j.id)
    expect(ids).toHaveLength(30)
    expect(ids[0]).toBe('j5')
    expect(ids[29]).toBe('j34')
  })

  it('clear drops everything', () => {
    save(job('a'))
    clear()
    expect(localStorage.getItem(KEY)).toBeNull()
    expect(jobs()).toEqual([])
  })

  it.each(['{not json', '"a string"', '{"a":1}', '[null, 1]', '[{"id":"x","t":1,"n":0}]', 'null', '42'])('ignores corrupt storage %s', (v) => {
    localStorage.setItem(KEY, v)
    expect(() => jobs()).not.toThrow()
    expect(jobs()).toEqual([])
  })

  it('never throws when storage is unavailable', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => { throw new DOMException('SecurityError') })
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => { throw new DOMException('QuotaExceededError') })
    vi.spyOn(Storage.prototype, 'removeItem').mockImplementation(() => { throw new DOMException('SecurityError') })
    expect(() => { save(job('a')); save(job('a'), true); clear() }).not.toThrow()
    expect(jobs()).toEqual([])
  })
})

describe('uid', () => {
  it('is unique, short and URL-safe', () => {
    const ids = new Set(Array.from({ length: 1000 }, uid))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{12,40}$/)
  })
})
