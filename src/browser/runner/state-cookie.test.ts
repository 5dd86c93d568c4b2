// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { STATE_COOKIE, readState } from '../core/state'
import { readCookie } from '../core/cookie'
import { clearState, writeState } from './state-cookie'

const raw = () => {
  const m = document.cookie.match(/(?:^|; )mst_state=([^;]*)/)
  return m ? JSON.parse(decodeURIComponent(m[1]!)) : undefined
}

beforeEach(() => clearState())
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('state cookie, written with js-cookie', () => {
  it('writes and merges patches, readable fields in, short stored keys out (the 0.1.0 format)', () => {
    writeState({ captured: true, bridgeId: 'anon-1' })
    writeState({ adopted: 'tok-123456' })
    expect(readState()).toEqual({ captured: true, bridgeId: 'anon-1', adopted: 'tok-123456' })
    expect(raw()).toEqual({ b: 'anon-1', c: true, a: 'tok-123456' })
  })

  it('the core reads back what js-cookie wrote, whatever characters the ids hold', () => {
    const odd = 'id:with,"quotes";semi colon%{}'
    writeState({ bridgeId: odd })
    expect(readCookie(STATE_COOKIE)).toBe(JSON.stringify({ b: odd }))
    expect(readState()).toEqual({ bridgeId: odd })
  })

  it('is first party for a year on path /, SameSite=Lax, Secure only on https', () => {
    const written: string[] = []
    vi.spyOn(document, 'cookie', 'set').mockImplementation((v: string) => void written.push(v))
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
    writeState({ bridgeId: 'anon-1' })
    expect(written).toEqual([`${STATE_COOKIE}={%22b%22:%22anon-1%22}; path=/; expires=Fri, 01 Jan 2027 00:00:00 GMT; sameSite=lax`])
    written.length = 0
    vi.spyOn(location, 'protocol', 'get').mockReturnValue('https:')
    writeState({ bridgeId: 'anon-1' })
    expect(written[0]).toMatch(/; sameSite=lax; secure$/)
  })

  it('over the state its caller read already, without reading the cookie again (a read after a write waits on the browser)', () => {
    writeState({ adopted: 'tok-123456' })
    const read = vi.spyOn(document, 'cookie', 'get')
    writeState({ captured: true, bridgeId: 'anon-1' }, { adopted: 'tok-123456' })
    expect(read).not.toHaveBeenCalled()
    read.mockRestore()
    expect(readState()).toEqual({ captured: true, bridgeId: 'anon-1', adopted: 'tok-123456' })
  })

  it('clearState() removes it', () => {
    writeState({ captured: true })
    expect(readState()).toEqual({ captured: true })
    clearState()
    expect(readState()).toEqual({})
    expect(document.cookie).not.toContain(STATE_COOKIE)
  })

  it('never throws when cookies are unavailable', () => {
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => { throw new Error('blocked') })
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => { throw new Error('blocked') })
    expect(() => writeState({ captured: true })).not.toThrow()
    expect(() => clearState()).not.toThrow()
  })
})
