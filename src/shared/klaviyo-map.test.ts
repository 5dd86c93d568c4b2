import { describe, expect, it } from 'vitest'
import { DEFAULT_INTEGRATIONS, METRIC_TO_EVENT, WEBHOOK_TOPIC_TO_METRIC, eventTime, mapKlaviyoEvent, metricForTopic, relayedMetricNames } from './klaviyo-map'
import type { KlaviyoEventLike, KlaviyoProfileLike } from './klaviyo-map'
import { version as RELAY_VERSION } from './version'

const sdkEvent = (over: Partial<KlaviyoEventLike> = {}): KlaviyoEventLike => ({
  type: 'event',
  id: 'EV1',
  attributes: {
    timestamp: 1767225600,
    datetime: new Date('2026-01-01T00:00:00Z'),
    eventProperties: { $message: 'MSG1', Subject: 'Spring sale', 'Campaign Name': 'Spring 2026', URL: 'https://shop.example/p?mst=abc' },
    uuid: 'u-1',
  },
  relationships: { profile: { data: { type: 'profile', id: 'PROF1' } } },
  ...over,
})

const sdkProfile = (attrs: Record<string, unknown> = {}): KlaviyoProfileLike => ({
  type: 'profile',
  id: 'PROF1',
  attributes: { email: 'ada@example.com', externalId: null, properties: { segment_anonymous_id: 'anon-bridge-1' }, ...attrs },
})

describe('mapKlaviyoEvent', () => {
  it('maps every metric in the contract table to its Segment event', () => {
    for (const [metric, event] of Object.entries(METRIC_TO_EVENT)) {
      const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile(), metricName: metric })
      expect(m?.event).toBe(event)
    }
    expect(METRIC_TO_EVENT['Unsubscribed from Email Marketing']).toBe('Unsubscribed')
  })

  it('ignores metrics outside the table', () => {
    for (const metric of ['Dropped Email', 'Placed Order', 'Viewed Product', 'Received SMS', 'opened email']) {
      expect(mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile(), metricName: metric })).toBeNull()
    }
  })

  it('keys the event to the bridge id and carries the contract fields', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile(), metricName: 'Clicked Email' })
    expect(m).toEqual({
      type: 'track',
      event: 'Email Link Clicked',
      anonymousId: 'anon-bridge-1',
      messageId: 'klaviyo-EV1',
      timestamp: '2026-01-01T00:00:00.000Z',
      properties: {
        provider: 'Klaviyo',
        email_id: 'MSG1',
        email_subject: 'Spring sale',
        campaign_id: 'MSG1',
        campaign_name: 'Spring 2026',
        send_type: 'campaign',
        link_url: 'https://shop.example/p' /* the bridge token is stripped */,
        klaviyo_profile_id: 'PROF1',
      },
      context: { traits: { email: 'ada@example.com' }, library: { name: 'mailstitch-relay', version: RELAY_VERSION } },
      integrations: { ...DEFAULT_INTEGRATIONS },
    })
  })

  it('sends link_url only for clicks', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile(), metricName: 'Opened Email' })
    expect(m?.properties.link_url).toBeUndefined()
  })

  it('puts a flow send under flow_id, never under campaign_id', () => {
    const ev = sdkEvent({ attributes: { datetime: '2026-01-01T00:00:00+00:00', eventProperties: { $message: 'FLOWMSG', $flow: 'FLOW9', 'Campaign Name': 'Welcome: Email 1' } } })
    const m = mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Received Email' })
    expect(m?.properties).toMatchObject({ email_id: 'FLOWMSG', flow_id: 'FLOW9', flow_message_name: 'Welcome: Email 1', send_type: 'flow' })
    expect(m?.properties.campaign_id).toBeUndefined()
    expect(m?.properties.campaign_name).toBeUndefined()
    expect(m?.properties.email_subject).toBeUndefined()
  })

  it('never takes an id from a property Klaviyo does not send ($campaign)', () => {
    const ev = sdkEvent({ attributes: { datetime: '2026-01-01T00:00:00+00:00', eventProperties: { $campaign: 'INVENTED', Subject: 'x' } } })
    const m = mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Opened Email' })
    expect(m?.properties.campaign_id).toBeUndefined()
    expect(JSON.stringify(m)).not.toContain('INVENTED')
  })

  it('maps the properties of the published example payload (help centre, "Understand webhooks in Advanced KDP")', () => {
    const published = {
      $ESP: 0,
      Subject: 'Your order is on its way',
      $message: '01H7C5TSWZQ5V8KGBK36XJ9GHM',
      $event_id: '01H7C5TSWZQ5V8KGBK36XJ9GHM:jane@example.com',
      $group_ids: [],
      $attribution: { $send_ts: 1691652116, $attributed_event_id: 'x' },
      'Email Domain': 'example.com',
      'Campaign Name': 'August newsletter',
      'Inbox Provider': 'Gmail',
      '$_cohort$message_send_cohort': '1691652116:01H7C5TSWZQ5V8KGBK36XJ9GHM',
    }
    const ev = sdkEvent({ attributes: { datetime: '2023-08-10 07:21:56+00:00', event_properties: published } })
    const m = mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Received Email' })
    expect(m?.timestamp).toBe('2023-08-10T07:21:56.000Z')
    expect(m?.properties).toEqual({
      provider: 'Klaviyo',
      email_id: '01H7C5TSWZQ5V8KGBK36XJ9GHM',
      email_subject: 'Your order is on its way',
      send_type: 'campaign',
      campaign_id: '01H7C5TSWZQ5V8KGBK36XJ9GHM',
      campaign_name: 'August newsletter',
      inbox_provider: 'Gmail',
      email_domain: 'example.com',
      esp: '0',
      klaviyo_profile_id: 'PROF1',
    })
  })

  it('carries the bounce type of a bounce', () => {
    const ev = sdkEvent({ attributes: { datetime: '2026-01-01T00:00:00Z', eventProperties: { $message: 'M', 'Bounce Type': 'hard' } } })
    expect(mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Bounced Email' })?.properties.bounce_type).toBe('hard')
    expect(mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Opened Email' })?.properties.bounce_type).toBeUndefined()
  })

  it('flags Apple Privacy machine opens (either spelling) and drops them when asked', () => {
    for (const flag of [{ 'Apple Privacy Open': true }, { 'Apple Privacy Open': 'True' }, { machine_open: true }, { machine_open: 1 }]) {
      const ev = sdkEvent({ attributes: { datetime: '2026-01-01T00:00:00Z', eventProperties: { $message: 'M', ...flag } } })
      expect(mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Opened Email' })?.properties.machine_open).toBe(true)
      expect(mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Opened Email' }, { machineOpens: 'drop' })).toBeNull()
      // Only opens are machine opens; a click with the flag is still a click.
      expect(mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Clicked Email' }, { machineOpens: 'drop' })?.properties.machine_open).toBeUndefined()
    }
    const human = sdkEvent({ attributes: { datetime: '2026-01-01T00:00:00Z', eventProperties: { $message: 'M', 'Apple Privacy Open': false, machine_open: 'false' } } })
    const m = mapKlaviyoEvent({ event: human, profile: sdkProfile(), metricName: 'Opened Email' }, { machineOpens: 'drop' })
    expect(m?.properties.machine_open).toBeUndefined()
  })

  it('relays only "Unsubscribed from Email Marketing" when the account has both unsubscribe metrics', () => {
    expect(relayedMetricNames(['Opened Email', 'Unsubscribed', 'Unsubscribed from Email Marketing', 'Placed Order'])).toEqual(['Opened Email', 'Unsubscribed from Email Marketing'])
    expect(relayedMetricNames(['Unsubscribed', 'Received Email'])).toEqual(['Unsubscribed', 'Received Email'])
  })

  it('adds userId from external_id when it differs from the bridge id', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ externalId: 'user-42' }), metricName: 'Opened Email' })
    expect(m?.anonymousId).toBe('anon-bridge-1')
    expect(m?.userId).toBe('user-42')
  })

  it('does not duplicate the bridge id as userId when external_id equals it', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ externalId: 'anon-bridge-1' }), metricName: 'Opened Email' })
    expect(m?.anonymousId).toBe('anon-bridge-1')
    expect(m).not.toHaveProperty('userId')
  })

  it('uses only userId when there is an external id but no bridge id', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ externalId: 'user-42', properties: {} }), metricName: 'Opened Email' })
    expect(m?.userId).toBe('user-42')
    expect(m).not.toHaveProperty('anonymousId')
  })

  it('falls back to klaviyo:<profile id> with neither bridge id nor external id', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ properties: { other: 1 } }), metricName: 'Bounced Email' })
    expect(m?.anonymousId).toBe('klaviyo:PROF1')
    expect(m?.context.traits).toEqual({ email: 'ada@example.com' })
  })

  it('treats blank identifiers as absent', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ externalId: '  ', properties: { segment_anonymous_id: '' } }), metricName: 'Opened Email' })
    expect(m?.anonymousId).toBe('klaviyo:PROF1')
    expect(m).not.toHaveProperty('userId')
  })

  it('never cuts an email or an id: one over 8,192 characters is left out whole, never cut mid-domain', () => {
    const longEmail = `ada@${'sub.'.repeat(2100)}example.com` // 8,415 characters
    expect(longEmail.length).toBeGreaterThan(8192)
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ email: longEmail }), metricName: 'Opened Email' })
    expect(m).not.toBeNull()
    expect(m?.context.traits).toBeUndefined() // not a cut address that names someone else
    expect(JSON.stringify(m)).not.toContain('ada@sub.')
    const atLimit = `ada@${'x'.repeat(8192 - 'ada@.com'.length)}.com`
    expect(mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ email: atLimit }), metricName: 'Opened Email' })?.context.traits?.email).toBe(atLimit)
    const longBridge = 'b'.repeat(9000)
    const keyed = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ properties: { segment_anonymous_id: longBridge }, external_id: 'user-1' }), metricName: 'Opened Email' })
    expect(keyed).toMatchObject({ userId: 'user-1' })
    expect(keyed?.anonymousId).toBeUndefined()
    expect(mapKlaviyoEvent({ event: sdkEvent({ id: 'E'.repeat(9000) }), profile: sdkProfile(), metricName: 'Opened Email' })).toBeNull()
  })

  it('still sends a profile without email, without traits', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile({ email: null }), metricName: 'Opened Email' })
    expect(m?.anonymousId).toBe('anon-bridge-1')
    expect(m?.context).not.toHaveProperty('traits')
  })

  it('uses the relationship profile id when the profile itself is missing', () => {
    const m = mapKlaviyoEvent({ event: sdkEvent(), profile: undefined, metricName: 'Opened Email' })
    expect(m?.anonymousId).toBe('klaviyo:PROF1')
  })

  it('skips events with no id, no time, or nothing to key them to', () => {
    expect(mapKlaviyoEvent({ event: sdkEvent({ id: null }), profile: sdkProfile(), metricName: 'Opened Email' })).toBeNull()
    expect(mapKlaviyoEvent({ event: sdkEvent({ attributes: { eventProperties: {} } }), profile: sdkProfile(), metricName: 'Opened Email' })).toBeNull()
    expect(mapKlaviyoEvent({ event: sdkEvent({ relationships: {} }), profile: null, metricName: 'Opened Email' })).toBeNull()
  })

  it('accepts the snake_case JSON:API shape of webhook payloads', () => {
    const raw: KlaviyoEventLike = {
      type: 'event',
      id: 'EV2',
      attributes: { timestamp: 1767225600, datetime: '2026-01-01T00:00:00+00:00', event_properties: { $message: 'M', Subject: 'S', URL: 'https://x.example/' } },
      relationships: { profile: { data: { type: 'profile', id: 'P2' } } },
    }
    const profile: KlaviyoProfileLike = { type: 'profile', id: 'P2', attributes: { email: 'b@example.com', external_id: 'u-7', properties: { segment_anonymous_id: 'bridge-2' } } }
    const m = mapKlaviyoEvent({ event: raw, profile, metricName: 'Clicked Email' })
    expect(m).toMatchObject({
      anonymousId: 'bridge-2',
      userId: 'u-7',
      messageId: 'klaviyo-EV2',
      timestamp: '2026-01-01T00:00:00.000Z',
      properties: { email_id: 'M', email_subject: 'S', link_url: 'https://x.example/' },
      context: { traits: { email: 'b@example.com' } },
    })
  })

  it('lets the caller replace or drop the integrations object', () => {
    expect(mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile(), metricName: 'Opened Email' }, { integrations: null })).not.toHaveProperty('integrations')
    expect(mapKlaviyoEvent({ event: sdkEvent(), profile: sdkProfile(), metricName: 'Opened Email' }, { integrations: { All: true } })?.integrations).toEqual({ All: true })
  })

  it('truncates huge strings so an event stays under Segment’s 32 KB limit', () => {
    const ev = sdkEvent({ attributes: { datetime: '2026-01-01T00:00:00Z', eventProperties: { Subject: 'x'.repeat(100_000) } } })
    const m = mapKlaviyoEvent({ event: ev, profile: sdkProfile(), metricName: 'Opened Email' })
    expect(JSON.stringify(m).length).toBeLessThan(32 * 1024)
  })

  it('maps every pinned webhook topic', () => {
    for (const t of ['received_email', 'opened_email', 'clicked_email', 'bounced_email', 'marked_email_as_spam', 'unsubscribed_from_email_marketing']) {
      expect(WEBHOOK_TOPIC_TO_METRIC[`event:klaviyo.${t}`]).toBeDefined()
    }
  })
})

describe('metricForTopic', () => {
  it('reads every published spelling of the email topics', () => {
    expect(metricForTopic('event: email_delivered')).toBe('Received Email') // help centre example
    expect(metricForTopic('event:klaviyo.email_delivered')).toBe('Received Email') // developer guide
    expect(metricForTopic('event:klaviyo.received_email')).toBe('Received Email')
    expect(metricForTopic(' Event:Klaviyo.Opened_Email ')).toBe('Opened Email')
    expect(metricForTopic('event:klaviyo.unsubscribed_from_email_marketing')).toBe('Unsubscribed from Email Marketing')
    expect(metricForTopic('event:klaviyo.dropped_email')).toBeUndefined()
    expect(metricForTopic('event:klaviyo.received_sms')).toBeUndefined()
    expect(metricForTopic(42)).toBeUndefined()
  })

  it('spells every topic the developer-guide way in WEBHOOK_TOPIC_TO_METRIC', () => {
    expect(WEBHOOK_TOPIC_TO_METRIC['event:klaviyo.email_delivered']).toBe('Received Email')
    expect(WEBHOOK_TOPIC_TO_METRIC['event:klaviyo.unsubscribed']).toBe('Unsubscribed')
    expect(Object.keys(WEBHOOK_TOPIC_TO_METRIC)).toHaveLength(8)
    for (const topic of Object.keys(WEBHOOK_TOPIC_TO_METRIC)) expect(metricForTopic(topic)).toBe(WEBHOOK_TOPIC_TO_METRIC[topic])
  })
})

describe('eventTime', () => {
  it('reads datetime as Date or string, else timestamp in seconds', () => {
    expect(eventTime(new Date('2026-02-03T04:05:06Z'), undefined)).toBe('2026-02-03T04:05:06.000Z')
    expect(eventTime('2026-02-03T04:05:06+00:00', undefined)).toBe('2026-02-03T04:05:06.000Z')
    expect(eventTime(null, 1767225600)).toBe('2026-01-01T00:00:00.000Z')
    expect(eventTime('garbage', undefined)).toBeUndefined()
  })
})

describe('link_url scrubbing', () => {
  const click = (url: string, linkParam?: string) =>
    mapKlaviyoEvent(
      {
        metricName: 'Clicked Email',
        event: { id: 'ev1', attributes: { datetime: '2026-01-01T00:00:00Z', event_properties: { URL: url } } },
        profile: { id: 'p1', attributes: { email: 'a@example.com', properties: { segment_anonymous_id: 'bridge-123456' } } },
      },
      linkParam ? { linkParam } : {},
    )
  it('strips the bridge token from the clicked link, keeping other parameters and the hash', () => {
    expect(click('https://shop.example/p?utm_source=klaviyo&mst=bridge-123456&_kx=x%3D.AbC#top')?.properties.link_url).toBe(
      'https://shop.example/p?utm_source=klaviyo&_kx=x%3D.AbC#top',
    )
  })
  it('honours a custom link parameter', () => {
    expect(click('https://shop.example/p?sid=bridge-123456', 'sid')?.properties.link_url).toBe('https://shop.example/p')
    expect(click('https://shop.example/p?mst=keep', 'sid')?.properties.link_url).toBe('https://shop.example/p?mst=keep')
  })
})
