// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { STATE_COOKIE, readState, writeState } from './state'

beforeEach(() => { document.cookie = `${STATE_COOKIE}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/` })
afterEach(() => vi.restoreAllMocks())

describe('state cookie', () => {
  it('is {} when absent', () => expect(readState()).toEqual({}))

  it('writes and merges patches', () => {
    writeState({ c: 1, b: 'anon-1' })
    writeState({ a: 'tok-123456' })
    expect(readState()).toEqual({ c: 1, b: 'anon-1', a: 'tok-123456' })
    expect(document.cookie).toContain(`${STATE_COOKIE}=`)
  })

  it('is first party, a year, path /, SameSite=Lax, Secure on https only', () => {
    const set = vi.spyOn(document, 'cookie', 'set')
    const now = Date.now()
    writeState({ c: 1 })
    const [written] = set.mock.calls.at(-1)!
    const m = /^mst_state=%7B%22c%22%3A1%7D; expires=([^;]+); path=\/; samesite=Lax$/.exec(written)
    expect(m).not.toBeNull()
    const days = (Date.parse(m![1]!) - now) / 864e5
    expect(days).toBeGreaterThan(364.9)
    expect(days).toBeLessThan(365.1)
    vi.stubGlobal('location', { protocol: 'https:' })
    writeState({ c: 1 })
    vi.unstubAllGlobals()
    expect(set.mock.calls.at(-1)![0]).toMatch(/; samesite=Lax; secure$/)
  })

  it('writeState(null) removes it', () => {
    writeState({ c: 1 })
    writeState(null)
    expect(readState()).toEqual({})
    expect(document.cookie).not.toContain(STATE_COOKIE)
  })

  it('reads the value js-cookie wrote (partly percent-encoded)', () => {
    document.cookie = `${STATE_COOKIE}={%22c%22:1%2C%22b%22:%22anon-1%22}; path=/`
    expect(readState()).toEqual({ c: 1, b: 'anon-1' })
  })

  it.each(['not-json', encodeURIComponent('"str"'), 'null', '42'])('an unreadable value %s reads as {}', (v) => {
    document.cookie = `${STATE_COOKIE}=${v}; path=/`
    expect(readState()).toEqual({})
  })

  it('never throws when cookies are unavailable', () => {
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => { throw new Error('blocked') })
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => { throw new Error('blocked') })
    expect(() => writeState({ c: 1 })).not.toThrow()
    expect(() => writeState(null)).not.toThrow()
    expect(readState()).toEqual({})
  })
})
