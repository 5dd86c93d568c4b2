// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import { STATE_COOKIE } from '../browser/core/state'
import { clearState, writeState } from '../browser/runner/state-cookie'
import { STATE_COOKIE_NAME, bridgeIdFromStateCookie } from './stored-bridge'

/** The raw value of a cookie, as `browser.cookie.get` hands it to a web pixel (no decoding). */
function rawCookie(name: string): string | undefined {
  for (const pair of document.cookie.split('; ')) {
    const at = pair.indexOf('=')
    if (pair.slice(0, at) === name) return pair.slice(at + 1)
  }
  return undefined
}

afterEach(() => clearState())

describe('bridgeIdFromStateCookie', () => {
  it('reads the bridge id from the cookie the browser SDK writes, under the name the SDK uses', () => {
    expect(STATE_COOKIE_NAME).toBe(STATE_COOKIE)
    writeState({ captured: true, bridgeId: '3f1c9a52-7d0e-4b7f-9a51-8c2e0f6d4b11' })
    expect(bridgeIdFromStateCookie(rawCookie(STATE_COOKIE_NAME))).toBe('3f1c9a52-7d0e-4b7f-9a51-8c2e0f6d4b11')
  })

  it('reads the value decoded or encoded (js-cookie leaves some characters unencoded)', () => {
    expect(bridgeIdFromStateCookie('{"b":"anon-ada-0001","c":1}')).toBe('anon-ada-0001')
    expect(bridgeIdFromStateCookie('%7B%22b%22%3A%22anon-ada-0001%22%7D')).toBe('anon-ada-0001')
    expect(bridgeIdFromStateCookie('{%22b%22:%22anon-ada-0001%22}')).toBe('anon-ada-0001')
  })

  it('gives undefined for an absent, corrupt or tampered value, and never throws', () => {
    for (const raw of [undefined, null, '', '  ', '%E0%A4%A', '{', '{"a":"x"}', '{"b":"<script>"}', '{"b":5}', 'null', '[1]', 42]) {
      expect(bridgeIdFromStateCookie(raw)).toBeUndefined()
    }
  })
})
