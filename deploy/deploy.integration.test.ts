/**
 * The deploy recipes docs/relay.md gives are the files tested here: the container image
 * (Dockerfile), the Kubernetes CronJob and the systemd timer are parsed and checked against each
 * other, and the relay command each one runs is run against the sandbox emulators, with the image's
 * paths mapped onto this checkout (/app → the repository, the state volume → a temporary folder).
 * Docker itself does not run on this machine (no daemon), so the image is not built here; what it
 * builds (`npm run build` → dist/cli.mjs) is. The Worker's wrangler.toml is run on workerd by
 * src/webhook/worker.integration.test.ts (webhooks) and poll-worker.integration.test.ts (the Cron Trigger poll); below, its
 * declarations are checked against the built entry, and the Lambda bundle.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, posix, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseToml } from 'smol-toml'
import { parseAllDocuments } from 'yaml'
import { runChild } from '../test/helpers/child-process'
import { useSandboxServices } from '../test/helpers/sandbox-services'
import { useTempDir } from '../test/helpers/temp-dir'

const ROOT = resolve(__dirname, '..')
const PK = 'pk_deploy'
const WK = 'wk_deploy'

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
const tmp = useTempDir('mst-deploy-', 'file')

/** Dockerfile instructions as [keyword, argument] (comments and continuations handled). */
function dockerfile(): Array<[string, string]> {
  const text = readFileSync(join(ROOT, 'deploy/container/Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [kw, ...rest] = l.split(/\s+/)
      return [kw.toUpperCase(), rest.join(' ')]
    })
}
const lastOf = (ins: Array<[string, string]>, kw: string) => ins.filter(([k]) => k === kw).at(-1)?.[1]

/** The image's command line mapped onto this checkout and a temporary state folder. */
function imageCommand(args: string[], stateDir: string): string[] {
  const entry = JSON.parse(lastOf(dockerfile(), 'ENTRYPOINT')!) as string[]
  return [...entry, ...args].map((a) => a.replace(/^\/app\//, `${ROOT}/`).replace('/var/lib/mailstitch', stateDir))
}

function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, ...args] = argv
  return runChild(cmd, args, { cwd: ROOT, env: { ...process.env, KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: sandbox.segment.url } })
}

function seedEvents(n: number) {
  const store = sandbox.klaviyo.store
  const p = store.createOrUpdateProfile({ email: `d${Date.now()}@example.com`, properties: { segment_anonymous_id: 'anon-deploy' } }).profile
  for (let i = 0; i < n; i++) store.recordEvent({ metricName: 'Opened Email', profileId: p.id, time: new Date(Date.now() - 120_000 + i * 1000) })
}

/** Run a poll command twice on one state folder: the first sends the events, the rerun nothing. */
async function pollsFromItsVolume(argv: string[]) {
  expect(existsSync(join(ROOT, 'dist/cli.mjs')), 'dist/cli.mjs is missing: run `npm run build` first').toBe(true)
  seedEvents(3)
  const first = await run(argv)
  expect(first.stderr).toBe('')
  expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/fetched 3, sent 3/) })
  const second = await run(argv)
  expect(second).toMatchObject({ code: 0, stdout: expect.stringMatching(/sent 0/) })
  expect(sandbox.segment.events()).toHaveLength(3)
}

describe('deploy/container/Dockerfile', () => {
  it('copies only files that exist, builds with npm run build, runs the CLI from the build output as a non-root user', () => {
    const ins = dockerfile()
    for (const [kw, arg] of ins) {
      if (kw !== 'COPY' || arg.startsWith('--from')) continue
      const sources = arg.split(/\s+/).slice(0, -1)
      for (const s of sources) expect(existsSync(join(ROOT, s)), `COPY ${s}`).toBe(true)
    }
    expect(ins.some(([k, a]) => k === 'RUN' && /\bnpm run build\b/.test(a))).toBe(true)
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(JSON.parse(lastOf(ins, 'ENTRYPOINT')!)).toEqual(['node', `/app/${posix.normalize(pkg.bin.mailstitch)}`, 'relay'])
    expect(lastOf(ins, 'USER')).toBe('node')
    const cmd = JSON.parse(lastOf(ins, 'CMD')!) as string[]
    const state = cmd[cmd.indexOf('--state') + 1]
    expect(posix.dirname(state)).toBe(lastOf(ins, 'VOLUME'))
    expect(lastOf(ins, 'EXPOSE')).toBe('8787')
  })

  it("its ENTRYPOINT + CMD polls, and a rerun continues from the state on the volume", async () => {
    const cmd = JSON.parse(lastOf(dockerfile(), 'CMD')!) as string[]
    await pollsFromItsVolume(imageCommand(cmd, tmp.file('container')))
    expect(JSON.parse(await readFile(tmp.file('container', 'state.json'), 'utf8'))).toHaveProperty('metrics')
  }, 60_000)
})

describe('deploy/kubernetes/relay-poll.yaml', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/relay-poll.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>)
  const job = docs.find((d) => d.kind === 'CronJob')!
  const claim = docs.find((d) => d.kind === 'PersistentVolumeClaim')!
  const pod = job?.spec.jobTemplate.spec.template.spec

  it('never runs two polls at once, and keeps the state file on the claim it declares', () => {
    expect(job.spec.concurrencyPolicy).toBe('Forbid')
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce'])
    const container = pod.containers[0]
    const state = container.args[container.args.indexOf('--state') + 1] as string
    const mount = container.volumeMounts.find((m: { mountPath: string }) => state.startsWith(`${m.mountPath}/`))
    expect(mount).toBeDefined()
    expect(pod.volumes.find((v: { name: string }) => v.name === mount.name).persistentVolumeClaim.claimName).toBe(claim.metadata.name)
    expect(container.image).toMatch(/^mailstitch-relay:/)
    expect(pod.securityContext.runAsUser).toBe(1000) // the image's `node` user
  })

  it("its container args, run as the image runs them, poll and resume from the claim's state", async () => {
    await pollsFromItsVolume(imageCommand(pod.containers[0].args, tmp.file('kubernetes')))
  }, 60_000)
})

describe('deploy/systemd timer', () => {
  const ini = (file: string) => {
    const out: Record<string, Record<string, string>> = {}
    let section = ''
    for (const line of readFileSync(join(ROOT, 'deploy/systemd', file), 'utf8').split('\n')) {
      const l = line.trim()
      if (!l || l.startsWith('#')) continue
      const m = /^\[(.+)\]$/.exec(l)
      if (m) section = m[1]
      else {
        const [k, ...v] = l.split('=')
        ;(out[section] ??= {})[k] = v.join('=')
      }
    }
    return out
  }
  const service = ini('mailstitch-relay-poll.service')
  const timer = ini('mailstitch-relay-poll.timer')

  it('starts the one-shot service, which keeps its state in its StateDirectory; systemd-analyze accepts both', () => {
    expect(timer.Timer.Unit).toBe('mailstitch-relay-poll.service')
    expect(service.Service.Type).toBe('oneshot')
    const exec = service.Service.ExecStart.split(' ')
    expect(exec[exec.indexOf('--state') + 1]).toBe(`/var/lib/${service.Service.StateDirectory}/state.json`)
    const verify = spawnSync('systemd-analyze', ['verify', '--man=no', 'mailstitch-relay-poll.service', 'mailstitch-relay-poll.timer'], { cwd: join(ROOT, 'deploy/systemd'), encoding: 'utf8' })
    expect(verify.error, 'systemd-analyze is missing (apt-get install systemd)').toBeUndefined()
    expect(verify.stderr).toBe('')
    expect(verify.status).toBe(0)
  })

  it('its ExecStart, with the CLI from this checkout, polls and resumes from the state directory', async () => {
    const exec = service.Service.ExecStart.split(' ')
    const args = exec.slice(exec.indexOf('mailstitch') + 1).map((a) => a.replace('/var/lib/mailstitch', tmp.file('systemd')))
    await pollsFromItsVolume(['node', join(ROOT, 'dist/cli.mjs'), ...args])
  }, 60_000)
})

describe('deploy/cloudflare/wrangler.toml (the poll without a server)', () => {
  interface Wrangler {
    main: string
    triggers?: { crons?: string[] }
    durable_objects?: { bindings?: Array<{ name: string; class_name: string }> }
    migrations?: Array<{ tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }>
  }
  const toml = () => parseToml(readFileSync(join(ROOT, 'deploy/cloudflare/wrangler.toml'), 'utf8')) as unknown as Wrangler

  it('binds MAILSTITCH_STATE to a class a migration creates, which the entry and the built Worker export', async () => {
    const config = toml()
    expect(config.durable_objects?.bindings).toEqual([{ name: 'MAILSTITCH_STATE', class_name: 'MailstitchPollState' }])
    // Every bound class is created by exactly one migration (Cloudflare refuses a deploy otherwise), with SQLite storage.
    const created = (config.migrations ?? []).flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])])
    expect(created).toEqual(['MailstitchPollState'])
    expect(config.migrations?.[0].new_sqlite_classes).toEqual(['MailstitchPollState'])
    // Cloudflare needs the class exported from the entry module, beside the default export.
    expect(readFileSync(join(ROOT, 'deploy/cloudflare', config.main), 'utf8')).toMatch(/export\s*\{\s*default\s*,\s*MailstitchPollState\s*\}\s*from\s*'mailstitch\/relay\/worker'/)
    const file = join(ROOT, 'dist/relay/worker.mjs')
    expect(existsSync(file), 'dist/relay/worker.mjs is missing: run `npm run build` first').toBe(true)
    const mod = (await import(file)) as { default?: { fetch?: unknown; scheduled?: unknown }; MailstitchPollState?: unknown }
    expect(typeof mod.default?.fetch).toBe('function')
    expect(typeof mod.default?.scheduled).toBe('function')
    expect(typeof mod.MailstitchPollState).toBe('function')
  })

  it('declares one five-field cron, and docs/relay.md names every MAILSTITCH_POLL_* setting the Worker reads', () => {
    const crons = toml().triggers?.crons ?? []
    expect(crons).toHaveLength(1)
    expect(crons[0].split(' ')).toHaveLength(5)
    const read = readFileSync(join(ROOT, 'src/webhook/scheduled-poll.ts'), 'utf8').match(/MAILSTITCH_POLL_[A-Z_]+/g) ?? []
    const docs = readFileSync(join(ROOT, 'docs/relay.md'), 'utf8')
    expect(new Set(read).size).toBe(4)
    for (const name of new Set(read)) expect(docs, name).toContain(name)
  })
})

describe('Lambda bundle (docs: copy dist/relay/lambda.mjs as index.mjs, handler index.handler)', () => {
  it('is self-contained and exports `handler`', async () => {
    const file = join(ROOT, 'dist/relay/lambda.mjs')
    expect(existsSync(file), 'dist/relay/lambda.mjs is missing: run `npm run build` first').toBe(true)
    expect(readFileSync(file, 'utf8')).not.toMatch(/^\s*import\s|\brequire\(/m)
    const mod = (await import(file)) as { handler?: unknown }
    expect(typeof mod.handler).toBe('function')
  })
})

describe('build outputs (issue 14: the serverless entries are separate)', () => {
  it('neither the browser bundle, the npm entries nor the CLI carry the Worker or Lambda adapters', () => {
    const read = (f: string) => {
      expect(existsSync(join(ROOT, f)), `${f} is missing: run \`npm run build\` first`).toBe(true)
      return readFileSync(join(ROOT, f), 'utf8')
    }
    expect(read('dist/relay/worker.mjs')).toMatch(/fetchWithEnv/)
    expect(read('dist/relay/worker.mjs')).toMatch(/MailstitchPollState/)
    expect(read('dist/relay/lambda.mjs')).toMatch(/requestFromLambdaEvent/)
    for (const f of ['dist/mailstitch.min.js', 'dist/index.mjs', 'dist/cli.mjs', 'dist/relay/index.mjs']) {
      expect(read(f), f).not.toMatch(/fetchWithEnv|requestFromLambdaEvent|lambdaResultFromResponse|MailstitchPollState|runPollPass/)
    }
    expect(read('dist/mailstitch.min.js')).not.toMatch(/klaviyo-signature/i)
  })
})
