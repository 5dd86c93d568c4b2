import type { AnalyticsBrowser } from '@segment/analytics-next'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { AnalyticsLike, MailstitchOptions } from './types'

// Compile-time checks (run by `tsc --noEmit`): the contract's first example passes an
// `AnalyticsBrowser` as `analytics`; that must type-check without a cast.
describe('public types', () => {
  it('accept an AnalyticsBrowser as `analytics`', () => {
    expectTypeOf<AnalyticsBrowser>().toExtend<AnalyticsLike>()
    const opts = (a: AnalyticsBrowser): MailstitchOptions => ({ analytics: a, klaviyo: { companyId: 'AbC123' } })
    expect(typeof opts).toBe('function')
  })

  it('keep the contract option values', () => {
    expectTypeOf<'auto' | false>().toExtend<MailstitchOptions['forms']>()
    expectTypeOf<'userId' | 'anonymousId' | false>().toEqualTypeOf<NonNullable<MailstitchOptions['externalId']> | false>()
    expectTypeOf<'adopt-if-fresh' | 'never-adopt'>().toEqualTypeOf<NonNullable<MailstitchOptions['linkPolicy']>>()
    expectTypeOf<'shopify'>().toExtend<MailstitchOptions['consent']>()
    expectTypeOf<() => Promise<boolean>>().toExtend<MailstitchOptions['consent']>()
  })
})
