import { describe, expect, it } from 'vitest'
import { KLAVIYO_RATE_LIMITS, KLAVIYO_SCOPES, endpointKey, isKnownRevision } from './policy'

describe('Klaviyo emulator policy', () => {
  it('knows the published revisions, with or without .pre, and nothing else', () => {
    expect(isKnownRevision('2026-07-15')).toBe(true)
    expect(isKnownRevision('2024-10-15.pre')).toBe(true)
    expect(isKnownRevision('2026-07-16')).toBe(false)
    expect(isKnownRevision('2019-01-01')).toBe(false)
    expect(isKnownRevision('latest')).toBe(false)
  })

  it('maps paths to endpoints, each with its documented tier and scope', () => {
    expect(endpointKey('get', '/api/profiles/01ABC/')).toBe('GET /api/profiles/{id}')
    expect(endpointKey('GET', '/api/events')).toBe('GET /api/events')
    expect(KLAVIYO_RATE_LIMITS[endpointKey('GET', '/api/events')]).toEqual({ burstPerSecond: 350, steadyPerMinute: 3500 })
    expect(KLAVIYO_RATE_LIMITS[endpointKey('GET', '/api/profiles/x')]).toEqual({ burstPerSecond: 75, steadyPerMinute: 700 })
    expect(KLAVIYO_RATE_LIMITS['GET /api/profiles']).toEqual({ burstPerSecond: 75, steadyPerMinute: 750 })
    expect(KLAVIYO_RATE_LIMITS['GET /api/metrics']).toEqual({ burstPerSecond: 10, steadyPerMinute: 150 })
    expect(KLAVIYO_SCOPES[endpointKey('GET', '/api/webhook-topics')]).toBe('webhooks:read')
  })
})
