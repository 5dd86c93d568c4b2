import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDir } from '../../test/helpers/temp-dir'
import { StateFileError } from './errors'
import { DEFAULT_STATE_PATH, MetricProgress, StateStore } from './state'

const tmp = useTempDir('mst-state-')

describe('MetricProgress', () => {
  it('remembers acked ids and prunes those older than cursor - lookback', () => {
    const p = new MetricProgress('M1', 'Opened Email')
    p.ack('a', 1_000)
    p.ack('b', 5_000)
    p.ack('c', 9_000)
    p.advance(10_000, 5_000)
    expect(p.cursor).toBe(10_000)
    expect(p.has('a')).toBe(false)
    expect(p.has('b')).toBe(true)
    expect(p.has('c')).toBe(true)
    expect(p.seenCount).toBe(2)
  })

  it('never moves the cursor back', () => {
    const p = new MetricProgress('M1', 'x', 10_000)
    p.advance(5_000, 1_000)
    expect(p.cursor).toBe(10_000)
  })
})

describe('StateStore', () => {
  it('embeds a default path', () => {
    expect(DEFAULT_STATE_PATH).toBe('.mailstitch-state.json')
    expect(new StateStore().path.endsWith('.mailstitch-state.json')).toBe(true)
  })

  it('treats a missing file as an empty state', async () => {
    const s = new StateStore(tmp.file('none.json'))
    expect((await s.load()).size).toBe(0)
  })

  it('round-trips cursor and seen ids', async () => {
    const s = new StateStore(tmp.file('sub', 'state.json'))
    const p = new MetricProgress('M1', 'Opened Email')
    p.ack('e1', Date.parse('2026-01-01T00:00:00Z'))
    p.advance(Date.parse('2026-01-01T00:05:00Z'), 600_000)
    const never = new MetricProgress('M2', 'Clicked Email') // no cursor yet: not written
    await s.save([p, never])
    const json = JSON.parse(await readFile(s.path, 'utf8'))
    expect(json.version).toBe(1)
    expect(json.metrics.M1).toEqual({ name: 'Opened Email', cursor: '2026-01-01T00:05:00.000Z', seen: { e1: Date.parse('2026-01-01T00:00:00Z') } })
    expect(json.metrics.M2).toBeUndefined()
    const loaded = await s.load()
    expect(loaded.get('M1')?.cursor).toBe(Date.parse('2026-01-01T00:05:00Z'))
    expect(loaded.get('M1')?.has('e1')).toBe(true)
  })

  it('leaves no temp files behind and the last of concurrent saves wins', async () => {
    const s = new StateStore(tmp.file('state.json'))
    const saves = []
    for (let i = 1; i <= 20; i++) saves.push(s.save([new MetricProgress('M', 'm', i * 1000)]))
    await Promise.all(saves)
    expect((await s.load()).get('M')?.cursor).toBe(20_000)
    expect(await readdir(tmp.path)).toEqual(['state.json'])
  })

  it('refuses a corrupt file instead of silently starting over', async () => {
    const path = tmp.file('state.json')
    await writeFile(path, '{"version":1,"metrics":')
    await expect(new StateStore(path).load()).rejects.toBeInstanceOf(StateFileError)
    await writeFile(path, '{"version":7,"metrics":{}}')
    await expect(new StateStore(path).load()).rejects.toThrow(/unsupported version/)
    await writeFile(path, '{"version":1,"metrics":{"M":{"cursor":"nope"}}}')
    await expect(new StateStore(path).load()).rejects.toThrow(/cursor/)
  })

  it('reports an unwritable location as a StateFileError', async () => {
    const blocker = tmp.file('file')
    await writeFile(blocker, 'x')
    const s = new StateStore(join(blocker, 'state.json')) // parent is a file
    await expect(s.save([new MetricProgress('M', 'm', 1)])).rejects.toBeInstanceOf(StateFileError)
  })
})
