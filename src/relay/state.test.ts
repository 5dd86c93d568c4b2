import { chmod, lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDir } from '../../test/helpers/temp-dir'
import { StateFileError } from './errors'
import { DEFAULT_STATE_PATH, MetricProgress, StateStore, realStatePath } from './state'

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

  it.each([
    ['"metrics": []', '{"version":1,"metrics":[]}', /field "metrics" must be an object keyed by Klaviyo metric id, found a list/],
    ['"metrics": "x"', '{"version":1,"metrics":"x"}', /field "metrics" must be .*found string "x"/],
    ['a metric that is a number', '{"version":1,"metrics":{"M":5}}', /field "metrics\.M" must be an object, found number 5/],
    ['"seen": "abc"', '{"version":1,"metrics":{"M":{"cursor":"2026-01-01T00:00:00Z","seen":"abc"}}}', /field "metrics\.M\.seen" must be an object of event id → epoch ms, found string "abc"/],
    ['"seen": []', '{"version":1,"metrics":{"M":{"cursor":"2026-01-01T00:00:00Z","seen":[]}}}', /field "metrics\.M\.seen" .*found a list/],
    ['a seen time that is a string', '{"version":1,"metrics":{"M":{"cursor":"2026-01-01T00:00:00Z","seen":{"e1":"soon"}}}}', /field "metrics\.M\.seen\.e1" must be a time in epoch ms/],
    ['"cursor": 5', '{"version":1,"metrics":{"M":{"cursor":5}}}', /field "metrics\.M\.cursor" must be an ISO time, found number 5/],
    ['"name": 5', '{"version":1,"metrics":{"M":{"cursor":"2026-01-01T00:00:00Z","name":5}}}', /field "metrics\.M\.name" must be a string/],
    ['a list at the top', '[1]', /does not hold a state object \(found a list\)/],
  ])('refuses wrong types (%s) with exit code 2, naming the file and the field', async (_label, text, message) => {
    const path = tmp.file('state.json')
    await writeFile(path, text)
    const err = await new StateStore(path).load().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateFileError)
    expect((err as StateFileError).exitCode).toBe(2)
    expect((err as Error).message).toContain(`State file ${path}:`)
    expect((err as Error).message).toMatch(message)
  })

  it('accepts a metric without "seen" (older files) as an empty overlap set', async () => {
    const path = tmp.file('state.json')
    await writeFile(path, '{"version":1,"metrics":{"M":{"cursor":"2026-01-01T00:00:00Z"}}}')
    const loaded = await new StateStore(path).load()
    expect(loaded.get('M')?.seenCount).toBe(0)
    expect(loaded.get('M')?.name).toBe('M')
  })

  it.each([0o444, 0o600, 0o640])('keeps the mode of an existing file (%o) across atomic writes', async (mode) => {
    const path = tmp.file('state.json')
    const s = new StateStore(path)
    await s.save([new MetricProgress('M', 'm', 1_000)])
    await chmod(path, mode)
    await s.save([new MetricProgress('M', 'm', 2_000)])
    expect((await stat(path)).mode & 0o777).toBe(mode)
    expect((await s.load()).get('M')?.cursor).toBe(2_000)
  })

  it('writes through a symlink to its target: the link stays a link', async () => {
    await mkdir(tmp.file('real'))
    const target = tmp.file('real', 'state.json')
    const link = tmp.file('link.json')
    await symlink(target, link) // dangling until the first save
    const viaLink = new StateStore(link)
    await viaLink.save([new MetricProgress('M', 'm', 1_000)])
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(JSON.parse(await readFile(target, 'utf8')).metrics.M.cursor).toBe(new Date(1_000).toISOString())
    await viaLink.save([new MetricProgress('M', 'm', 2_000)])
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect((await new StateStore(target).load()).get('M')?.cursor).toBe(2_000)
    expect((await readdir(tmp.path)).sort()).toEqual(['link.json', 'real'])
    expect(await readdir(tmp.file('real'))).toEqual(['state.json'])
  })

  it('resolves the real path of a file, a symlinked directory, a dangling link and a missing directory', async () => {
    await mkdir(tmp.file('real'))
    await symlink(tmp.file('real'), tmp.file('dirlink'))
    await symlink(tmp.file('real', 'later.json'), tmp.file('dangling.json'))
    const realDir = await realStatePath(tmp.file('real'))
    expect(await realStatePath(tmp.file('dirlink', 'state.json'))).toBe(`${realDir}/state.json`)
    expect(await realStatePath(tmp.file('dangling.json'))).toBe(`${realDir}/later.json`)
    expect(await realStatePath(tmp.file('dirlink', 'a', 'b.json'))).toBe(`${realDir}/a/b.json`)
  })
})
