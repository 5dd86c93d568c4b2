import { describe, expect, it } from 'vitest'
import { EMAIL_BOUNCED, EMAIL_CAPTURED, EMAIL_DELIVERED, EMAIL_LINK_CLICKED, EMAIL_LINK_LANDED, EMAIL_MARKED_AS_SPAM, EMAIL_OPENED, UNSUBSCRIBED } from './email-events'
import { METRIC_TO_EVENT } from './klaviyo-map'

describe('email event names', () => {
  it('spells the events the SDK sends as CONTRACT.md pins them', () => {
    expect(EMAIL_CAPTURED).toBe('Email Captured')
    expect(EMAIL_LINK_LANDED).toBe('Email Link Landed')
  })

  it('spells the relayed events as Segment’s email spec does, and the relay maps Klaviyo metrics onto exactly these', () => {
    expect([EMAIL_DELIVERED, EMAIL_OPENED, EMAIL_LINK_CLICKED, EMAIL_BOUNCED, EMAIL_MARKED_AS_SPAM, UNSUBSCRIBED]).toEqual([
      'Email Delivered',
      'Email Opened',
      'Email Link Clicked',
      'Email Bounced',
      'Email Marked as Spam',
      'Unsubscribed',
    ])
    expect(new Set(Object.values(METRIC_TO_EVENT))).toEqual(new Set(['Email Delivered', 'Email Opened', 'Email Link Clicked', 'Email Bounced', 'Email Marked as Spam', 'Unsubscribed']))
  })
})
