// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { STATE_COOKIE, clearState, readState, writeState } from './state'

const raw = () => {
  const m = document.cookie.match(/(?:^|; )mst_state=([^;]*)/)
  return m ? JSON.parse(decodeURIComponent(m[1]!)) : undefined
}

beforeEach(() => clearState())
afterEach(() => vi.restoreAllMocks())

describe('state cookie', () => {
  it('is {} when absent', () => expect(readState()).toEqual({}))

  it('writes and merges patches, readable fields in, short stored keys out (the 0.1.0 format)', () => {
    writeState({ captured: true, bridgeId: 'anon-1' })
    writeState({ adopted: 'tok-123456' })
    expect(readState()).toEqual({ captured: true, bridgeId: 'anon-1', adopted: 'tok-123456' })
    expect(raw()).toEqual({ b: 'anon-1', c: true, a: 'tok-123456' })
  })

  it('reads a cookie written by 0.1.0 (c: 1)', () => {
    document.cookie = `${STATE_COOKIE}=${encodeURIComponent(JSON.stringify({ b: 'anon-old', c: 1 }))}; path=/`
    expect(readState()).toEqual({ bridgeId: 'anon-old', captured: 1 })
  })

  it('clearState() removes it', () => {
    writeState({ captured: true })
    clearState()
    expect(readState()).toEqual({})
    expect(document.cookie).not.toContain(STATE_COOKIE)
  })

  it.each(['not-json', encodeURIComponent('"str"'), 'null', '42'])('an unreadable value %s reads as {}', (v) => {
    document.cookie = `${STATE_COOKIE}=${v}; path=/`
    expect(readState()).toEqual({})
  })

  it('never throws when cookies are unavailable', () => {
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => { throw new Error('blocked') })
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => { throw new Error('blocked') })
    expect(() => writeState({ captured: true })).not.toThrow()
    expect(() => clearState()).not.toThrow()
    expect(readState()).toEqual({})
  })
})
