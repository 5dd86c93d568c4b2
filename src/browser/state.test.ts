// @vitest-environment happy-dom
import Cookies from 'js-cookie'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { STATE_COOKIE, readState, writeState } from './state'

beforeEach(() => Cookies.remove(STATE_COOKIE, { path: '/' }))
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
    const set = vi.spyOn(Cookies, 'set')
    writeState({ c: 1 })
    expect(set).toHaveBeenCalledWith(STATE_COOKIE, '{"c":1}', { expires: 365, sameSite: 'Lax', secure: false })
    expect(Cookies.attributes).toEqual({ path: '/' }) // js-cookie's default, merged into every set
  })

  it('writeState(null) removes it', () => {
    writeState({ c: 1 })
    writeState(null)
    expect(readState()).toEqual({})
    expect(document.cookie).not.toContain(STATE_COOKIE)
  })

  it.each(['not-json', encodeURIComponent('"str"'), 'null', '42'])('an unreadable value %s reads as {}', (v) => {
    document.cookie = `${STATE_COOKIE}=${v}; path=/`
    expect(readState()).toEqual({})
  })

  it('never throws when cookies are unavailable', () => {
    vi.spyOn(Cookies, 'set').mockImplementation(() => { throw new Error('blocked') })
    vi.spyOn(Cookies, 'get').mockImplementation(() => { throw new Error('blocked') })
    vi.spyOn(Cookies, 'remove').mockImplementation(() => { throw new Error('blocked') })
    expect(() => writeState({ c: 1 })).not.toThrow()
    expect(() => writeState(null)).not.toThrow()
    expect(readState()).toEqual({})
  })
})
