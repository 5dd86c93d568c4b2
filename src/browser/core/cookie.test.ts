// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readCookie } from './cookie'

const remove = (name: string) => (document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`)

afterEach(() => {
  vi.restoreAllMocks()
  remove('a')
  remove('ab')
})

describe('readCookie', () => {
  it('reads a URI-encoded value back', () => {
    document.cookie = 'a=%7B%22b%22%3A%22x%20y%3Bz%22%7D; path=/'
    expect(readCookie('a')).toBe('{"b":"x y;z"}')
  })

  it('reads only the exact name', () => {
    document.cookie = 'ab=1; path=/'
    document.cookie = 'a=2; path=/'
    expect(readCookie('a')).toBe('2')
    expect(readCookie('b')).toBeUndefined()
  })

  it('never throws when cookies are refused or a value is malformed', () => {
    document.cookie = 'a=%E0%A4%A; path=/'
    expect(readCookie('a')).toBeUndefined()
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => { throw new Error('blocked') })
    expect(readCookie('a')).toBeUndefined()
  })
})
