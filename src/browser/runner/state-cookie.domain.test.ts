// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://www.shop.example/products/linen"}
import { afterEach, describe, expect, it, vi } from 'vitest'
import Cookies from 'js-cookie'
import { writeAnonymousIdCookie } from './state-cookie'

afterEach(() => vi.restoreAllMocks())

describe('the ajs_anonymous_id cookie, where analytics.js did not load and localStorage is unavailable', () => {
  it('is written raw at the domain analytics-next gives its cookies (the widest that takes a probe), the probe removed', () => {
    const set = vi.spyOn(Cookies, 'set')
    writeAnonymousIdCookie('6f1c2d3e-4a5b-4c6d-8e7f-000000000001')
    expect(set).toHaveBeenLastCalledWith('ajs_anonymous_id', '6f1c2d3e-4a5b-4c6d-8e7f-000000000001', { expires: 365, path: '/', sameSite: 'lax', domain: '.shop.example' })
    expect(document.cookie).toContain('ajs_anonymous_id=6f1c2d3e-4a5b-4c6d-8e7f-000000000001')
    expect(document.cookie).not.toContain('__tld__')
  })
})
