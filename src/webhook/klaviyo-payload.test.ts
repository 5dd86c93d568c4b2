import { describe, expect, it } from 'vitest'
import { klaviyoItem } from '../../test/helpers/klaviyo-webhook'
import { readDeliveryItem } from './klaviyo-payload'

describe('readDeliveryItem', () => {
  it('reads the published shape: relationships only, datetime with a space made ISO', () => {
    const item = readDeliveryItem(klaviyoItem({ id: 'E1', topic: 'event: email_delivered', profileId: 'P1', metricId: 'M1', datetime: '2023-08-10 07:21:56+00:00' }))
    expect(item).toMatchObject({ metricId: 'M1', profileId: 'P1', topicMetricName: 'Received Email', includedMetricName: undefined, includedProfile: undefined })
    expect(item.event).toMatchObject({ id: 'E1', attributes: { datetime: '2023-08-10T07:21:56+00:00' } })
  })

  it('reads `included`, a bare event payload, and takes the id from external_id when the payload has none', () => {
    const withIncluded = readDeliveryItem(klaviyoItem({ id: 'E2', topic: 'x', profileId: 'P2', metricId: 'M2', included: { profile: { email: 'a@b.co' }, metricName: 'Clicked Email' } }))
    expect(withIncluded).toMatchObject({ includedMetricName: 'Clicked Email', includedProfile: { id: 'P2', attributes: { email: 'a@b.co' } } })
    const bare = readDeliveryItem({ external_id: 'E3', topic: 'event:klaviyo.opened_email', payload: { type: 'event', attributes: { datetime: '2026-01-01T00:00:00Z' }, relationships: { profile: { data: { id: 'P3' } } } } })
    expect(bare).toMatchObject({ profileId: 'P3', event: { id: 'E3' }, topicMetricName: 'Opened Email' })
  })

  it('never throws on junk', () => {
    for (const junk of [null, 1, 'x', [], { payload: 'x' }, { payload: { data: [] } }]) expect(readDeliveryItem(junk).event.id).toBeNull()
  })
})
