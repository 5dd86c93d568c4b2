// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readCookie, removeCookie, writeCookie } from './cookie'

afterEach(() => {
  vi.restoreAllMocks()
  removeCookie('a')
})

describe('cookie', () => {
  it('writes a value readable back, URI-encoded', () => {
    writeCookie('a', '{"b":"x y;z"}', 365)
    expect(readCookie('a')).toBe('{"b":"x y;z"}')
    expect(document.cookie).toContain('a=%7B%22b%22%3A%22x%20y%3Bz%22%7D')
  })

  it('is first party for a year on path /, SameSite=Lax, Secure only on https', () => {
    const written: string[] = []
    vi.spyOn(document, 'cookie', 'set').mockImplementation((v: string) => void written.push(v))
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
    writeCookie('a', 'v', 365)
    vi.useRealTimers()
    expect(written).toEqual(['a=v; expires=Fri, 01 Jan 2027 00:00:00 GMT; path=/; samesite=lax'])
  })

  it('reads only the exact name', () => {
    document.cookie = 'ab=1; path=/'
    document.cookie = 'a=2; path=/'
    expect(readCookie('a')).toBe('2')
    expect(readCookie('b')).toBeUndefined()
    removeCookie('ab')
  })

  it('removeCookie expires it', () => {
    writeCookie('a', 'v', 1)
    removeCookie('a')
    expect(readCookie('a')).toBeUndefined()
  })

  it('never throws when cookies are refused or a value is malformed', () => {
    document.cookie = 'a=%E0%A4%A; path=/'
    expect(readCookie('a')).toBeUndefined()
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => { throw new Error('blocked') })
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => { throw new Error('blocked') })
    expect(readCookie('a')).toBeUndefined()
    expect(() => writeCookie('a', 'v', 1)).not.toThrow()
    expect(() => removeCookie('a')).not.toThrow()
  })
})
