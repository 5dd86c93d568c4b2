import { describe, expect, it } from 'vitest'
import { relayOptionsFromEnv } from './env'
import { ConfigError } from '../shared/relay-settings'
import { SEGMENT_REGION_HOSTS, parseSegmentRegion, segmentHost } from './segment-region'

describe('Segment region', () => {
  it('maps eu to the EU endpoint, us (and nothing) to api.segment.io; SEGMENT_API_HOST wins', () => {
    expect(segmentHost(undefined, 'eu')).toBe('https://events.eu1.segmentapis.com')
    expect(segmentHost(undefined, 'us')).toBe(SEGMENT_REGION_HOSTS.us)
    expect(segmentHost(undefined, undefined)).toBe('https://api.segment.io')
    expect(segmentHost('http://127.0.0.1:4000', 'eu')).toBe('http://127.0.0.1:4000')
  })

  it('parses region names in any case and refuses others with a usage error', () => {
    expect(parseSegmentRegion(' EU ', '--region')).toBe('eu')
    expect(() => parseSegmentRegion('eu-west-1', 'SEGMENT_REGION')).toThrow(ConfigError)
    expect(relayOptionsFromEnv({ SEGMENT_REGION: 'eu' }).segmentRegion).toBe('eu')
    expect(relayOptionsFromEnv({}).segmentRegion).toBeUndefined()
  })
})
