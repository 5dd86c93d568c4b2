/**
 * The poll's Durable Object (MailstitchPollState) and its client store, in Node over an in-memory
 * storage with Cloudflare's semantics for the calls used (get, multi-key put, delete); the lease's
 * expiry on a fake clock. On workerd they run in src/webhook/poll-worker.integration.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MetricProgress } from '../relay/metric-progress'
import { PassBudget } from './pass-budget'
import { DurableProgressStore, MailstitchPollState, PollLeaseLost, type PollStateNamespace, type PollStateStorage } from './poll-state'

function memoryStorage(): PollStateStorage & { keys(): string[] } {
  const data = new Map<string, unknown>()
  return {
    get: async <T,>(key: string) => structuredClone(data.get(key)) as T | undefined,
    put: async (entries) => {
      for (const [k, v] of Object.entries(entries)) data.set(k, structuredClone(v))
    },
    delete: async (keys) => keys.filter((k) => data.delete(k)).length,
    keys: () => [...data.keys()].sort(),
  }
}

function setup() {
  const storage = memoryStorage()
  const object = new MailstitchPollState({ storage, blockConcurrencyWhile: (fn) => fn() })
  const namespace: PollStateNamespace = { idFromName: (name) => name, get: () => ({ fetch: (url, init) => object.fetch(new Request(url, init)) }) }
  const budget = () => new PassBudget({ subrequests: 10_000, deadline: Infinity, maxPages: 100, pageSize: 1000 })
  const store = (owner: string, leaseMs = 60_000) => new DurableProgressStore(namespace, owner, leaseMs, budget())
  return { storage, store }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2026-12-07T12:00:00Z'))
})
afterEach(() => {
  vi.useRealTimers()
})

describe('MailstitchPollState', () => {
  it('saves and loads the same progress as the state file holds (cursor, name, seen ids)', async () => {
    const { store } = setup()
    const a = store('a')
    expect(await a.acquire()).toBe(true)
    expect(await a.load()).toEqual(new Map())
    const p = new MetricProgress('M1', 'Opened Email', Date.parse('2026-12-07T11:00:00Z'), new Map([['ev1', 1], ['ev2', 2]]))
    await a.save([p, new MetricProgress('M2', 'Clicked Email')]) // no cursor yet: not saved, as in the file
    const loaded = await a.load()
    expect([...loaded.keys()]).toEqual(['M1'])
    expect(loaded.get('M1')!.toJSON()).toEqual(p.toJSON())
  })

  it('keeps seen ids in keys of 10,000 and drops the keys a smaller save no longer needs', async () => {
    const { store, storage } = setup()
    const a = store('a')
    await a.acquire()
    const many = new Map(Array.from({ length: 25_000 }, (_, i) => [`ev${i}`, i] as [string, number]))
    await a.save([new MetricProgress('M1', 'Opened Email', 1, many)])
    expect(storage.keys().filter((k) => k.startsWith('seen:'))).toEqual(['seen:M1:0', 'seen:M1:1', 'seen:M1:2'])
    expect((await a.load()).get('M1')!.seenCount).toBe(25_000)
    await a.save([new MetricProgress('M1', 'Opened Email', 2, new Map([['ev1', 1]]))])
    expect(storage.keys().filter((k) => k.startsWith('seen:'))).toEqual(['seen:M1:0'])
    expect((await a.load()).get('M1')!.seenCount).toBe(1)
  })

  it('lets one pass hold the lease; a second sends nothing until it is released', async () => {
    const { store } = setup()
    const a = store('a')
    const b = store('b')
    expect(await a.acquire()).toBe(true)
    expect(await b.acquire()).toBe(false)
    await expect(b.load()).rejects.toBeInstanceOf(PollLeaseLost)
    await a.release()
    expect(await b.acquire()).toBe(true)
  })

  it('lets the next pass take an expired lease, and then refuses the old owner\'s save', async () => {
    const { store } = setup()
    const a = store('a', 60_000)
    const b = store('b', 60_000)
    await a.acquire()
    await a.save([new MetricProgress('M1', 'Opened Email', 1000)])
    vi.setSystemTime(Date.now() + 59_000)
    expect(await b.acquire()).toBe(false) // not expired yet
    await a.save([new MetricProgress('M1', 'Opened Email', 2000)]) // a save renews the lease…
    vi.setSystemTime(Date.now() + 59_000)
    expect(await b.acquire()).toBe(false) // …so it still holds
    vi.setSystemTime(Date.now() + 2_000)
    expect(await b.acquire()).toBe(true) // a died: its lease expired
    expect((await b.load()).get('M1')!.cursor).toBe(2000) // from its last saved page
    await expect(a.save([new MetricProgress('M1', 'Opened Email', 3000)])).rejects.toBeInstanceOf(PollLeaseLost)
    expect((await b.load()).get('M1')!.cursor).toBe(2000)
  })

  it('answers 400 to a call without an owner, and refuses a state of another version', async () => {
    const { storage } = setup()
    const object = new MailstitchPollState({ storage, blockConcurrencyWhile: (fn) => fn() })
    const res = await object.fetch(new Request('https://x/load', { method: 'POST', body: '{}' }))
    expect(res.status).toBe(400)
    await storage.put({ state: { version: 2, updatedAt: '', metrics: {} } })
    await object.fetch(new Request('https://x/acquire', { method: 'POST', body: JSON.stringify({ owner: 'a', leaseMs: 1000 }) }))
    await expect(object.fetch(new Request('https://x/load', { method: 'POST', body: JSON.stringify({ owner: 'a', leaseMs: 1000 }) }))).rejects.toThrow(/version 2/)
  })
})

describe('PassBudget', () => {
  it('starts a page only while its worst case fits twice over, with one subrequest kept for the release', () => {
    const b = new PassBudget({ subrequests: 50, deadline: Infinity, maxPages: 100, pageSize: 1000 })
    expect(b.pageCost).toBe(6) // GET + 2 batches x 2 tries + save
    let pages = 0
    while (b.startPage()) {
      pages++
      for (let i = 0; i < 4; i++) b.spend() // what a page really spends without retries
    }
    expect(pages).toBe(10)
    expect(b.subrequests + 2 * b.pageCost + 1).toBeGreaterThan(50)
    expect(b.subrequests).toBeLessThanOrEqual(50)
  })

  it('stops at the page cap and at the deadline', () => {
    let now = 0
    const capped = new PassBudget({ subrequests: 10_000, deadline: Infinity, maxPages: 2, pageSize: 1000 })
    expect([capped.startPage(), capped.startPage(), capped.startPage()]).toEqual([true, true, false])
    const timed = new PassBudget({ subrequests: 10_000, deadline: 1000, maxPages: 100, pageSize: 1000 }, () => now)
    expect(timed.startPage()).toBe(true)
    now = 1000
    expect(timed.startPage()).toBe(false)
  })
})
