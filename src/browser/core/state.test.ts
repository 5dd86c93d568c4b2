// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { STATE_COOKIE, readState } from './state'

const remove = () => (document.cookie = `${STATE_COOKIE}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`)

beforeEach(remove)
afterEach(() => vi.restoreAllMocks())

describe('state cookie, read (written by runner/state-cookie.ts)', () => {
  it('is {} when absent', () => expect(readState()).toEqual({}))

  it('reads a cookie written by 0.1.0 (c: 1)', () => {
    document.cookie = `${STATE_COOKIE}=${encodeURIComponent(JSON.stringify({ b: 'anon-old', c: 1 }))}; path=/`
    expect(readState()).toEqual({ bridgeId: 'anon-old', captured: 1 })
  })

  it.each(['not-json', encodeURIComponent('"str"'), 'null', '42'])('an unreadable value %s reads as {}', (v) => {
    document.cookie = `${STATE_COOKIE}=${v}; path=/`
    expect(readState()).toEqual({})
  })

  it('never throws when cookies are unavailable', () => {
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => { throw new Error('blocked') })
    expect(readState()).toEqual({})
  })
})
