/**
 * A state file reached through a symlink, end to end through `createRelay`: the poll locks and
 * writes the real file, so a second poller through another path is refused and the link survives.
 */
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { useRelays } from '../../test/helpers/relays'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'
import { StateFileError, StateLockedError } from './errors'
import { StateLock } from './state-lock'

const PK = 'pk_realpath'
const WK = 'wk_realpath'
const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
const tmp = useTempDir('mst-realpath-')
const relay = useRelays(() => ({ klaviyoPrivateKey: PK, segmentWriteKey: WK, klaviyoApiBase: sandbox.klaviyo.url, segmentApiHost: sandbox.segment.url }))

function seed() {
  const store = sandbox.klaviyo.store
  const ada = store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: 'anon-ada' } }).profile
  store.recordEvent({ metricName: 'Opened Email', profileId: ada.id, time: new Date(Date.now() - 60_000), properties: { $message: 'M1', Subject: 'Hi' } })
}

describe('poll state through a symlink', () => {
  it('a poller through a symlink is refused while one holds the real file, and the link stays a link', async () => {
    seed()
    await mkdir(tmp.file('volume'))
    const real = tmp.file('volume', 'state.json')
    const link = tmp.file('state.json')
    await symlink(real, link)
    const holder = new StateLock(real)
    await holder.acquire()
    try {
      await expect(relay({ statePath: link }).pollOnce()).rejects.toBeInstanceOf(StateLockedError)
      expect(sandbox.segment.events()).toHaveLength(0)
    } finally {
      await holder.release()
    }
    const summary = await relay({ statePath: link }).pollOnce()
    expect(summary.sent).toBe(1)
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(Object.keys(JSON.parse(await readFile(real, 'utf8')).metrics)).toHaveLength(1)
  })

  it('a state file with wrong types stops the poll with exit 2 naming the field, nothing sent', async () => {
    seed()
    const path = tmp.file('state.json')
    await writeFile(path, '{"version":1,"metrics":[]}')
    const err = await relay({ statePath: path }).pollOnce().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateFileError)
    expect((err as StateFileError).exitCode).toBe(2)
    expect((err as Error).message).toMatch(/field "metrics" must be/)
    expect(sandbox.segment.events()).toHaveLength(0)
  })
})
