import { describe, expect, it } from 'vitest'
import { KlaviyoStore } from './store'

describe('KlaviyoStore with a synthetic seed', () => {
  it('streams a whole synthetic range in order with bounded pages, merged with real events', () => {
    const store = new KlaviyoStore()
    store.seedSynthetic({ profiles: 7, events: 20_000, metricNames: ['Received Email', 'Received Email', 'Opened Email'], spacingMs: 250 })
    const ada = store.createOrUpdateProfile({ email: 'ada@example.com' }).profile
    store.recordEvent({ metricName: 'Opened Email', profileId: ada.id, time: Date.parse('2026-01-01T00:10:00Z') })
    const opened = store.metrics().find((m) => m.name === 'Opened Email')!.id
    let after: { t: number; id: string } | undefined
    let count = 0
    let lastKey = ''
    for (;;) {
      const page = store.queryEvents({ metricId: opened, limit: 500, after })
      expect(page.events.length).toBeLessThanOrEqual(500)
      for (const e of page.events) {
        const key = `${String(e.timestamp).padStart(12, '0')}|${e.id}`
        expect(key > lastKey).toBe(true)
        lastKey = key
      }
      count += page.events.length
      if (!page.more) break
      const last = page.events[page.events.length - 1]
      after = { t: last.timestamp * 1000, id: last.id }
    }
    expect(count).toBe(Math.ceil((20_000 - 2) / 3) + 1)
  })
})
