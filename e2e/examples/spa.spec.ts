// examples/spa end to end: the repository is packed (`npm pack`, via the example's own
// scripts/pack-sdk.mjs) and installed into a copy of the example as an app installs it, the app
// is built with Vite, its dist/ served with a config pointing at the local collector and Klaviyo
// emulator, and driven in Chromium. The last test runs the example the way its README says,
// `npm run dev` with MAILSTITCH_DEMO=1 next to `npm run demo` (startDemo on ephemeral ports).
//
// Third-party dependencies are installed once per lockfile (`npm ci`) into
// $TMPDIR/mailstitch-spa-e2e/<hash of package.json + package-lock.json> and copied from there;
// the mailstitch tarball is always installed fresh.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, COMPANY_ID, LIST_ID, WRITE_KEY, type Stack } from '../support/fixtures'
import { startDemo, type Demo } from '../../sandbox/demo'

type Ev = Record<string, any>
const ROOT = resolve(import.meta.dirname, '../..')
const EXAMPLE = join(ROOT, 'examples/spa')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const TYPES: Record<string, string> = { '.js': 'application/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.map': 'application/json', '.svg': 'image/svg+xml' }

test.describe.configure({ mode: 'serial' }) // one worker installs and builds once
let built = ''

const npm = (cwd: string, args: string[]) => execFileSync(NPM, args, { cwd, stdio: 'pipe', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } })

/** Run `fn` holding a lock directory (other runs on this machine may install the same cache). */
function locked<T>(dir: string, fn: () => T): T {
  const lock = dir + '.lock'
  const until = Date.now() + 180_000
  mkdirSync(resolve(dir, '..'), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() > until) throw new Error(`spa e2e: ${lock} is held`)
      execFileSync(process.execPath, ['-e', 'setTimeout(()=>{},500)'])
    }
  }
  try {
    return fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** Pack, install and build the example; returns its dist/ directory. */
function buildExample(): string {
  const files = ['package.json', 'package-lock.json']
  const key = createHash('sha256').update(files.map((f) => readFileSync(join(EXAMPLE, f))).join('\0')).digest('hex').slice(0, 16)
  const cache = join(tmpdir(), 'mailstitch-spa-e2e', key)
  locked(cache, () => {
    if (existsSync(join(cache, 'node_modules/.mailstitch-e2e-ok'))) return
    rmSync(cache, { recursive: true, force: true })
    mkdirSync(cache, { recursive: true })
    for (const f of files) cpSync(join(EXAMPLE, f), join(cache, f))
    execFileSync(process.execPath, [join(EXAMPLE, 'scripts/pack-sdk.mjs'), '--no-build', `--out=${join(cache, 'vendor')}`], { cwd: ROOT, stdio: 'pipe' })
    npm(cache, ['ci', '--prefer-offline'])
    writeFileSync(join(cache, 'node_modules/.mailstitch-e2e-ok'), new Date().toISOString())
  })

  const work = mkdtempSync(join(tmpdir(), 'mailstitch-spa-'))
  for (const f of ['index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.node.json', 'vite.config.ts', 'dev-api.ts', 'src', 'public', 'scripts']) cpSync(join(EXAMPLE, f), join(work, f), { recursive: true })
  cpSync(join(cache, 'node_modules'), join(work, 'node_modules'), { recursive: true, verbatimSymlinks: true })
  // The package as it is now (the repository's dist/), installed from its tarball.
  execFileSync(process.execPath, [join(EXAMPLE, 'scripts/pack-sdk.mjs'), '--no-build', `--out=${join(work, 'vendor')}`], { cwd: ROOT, stdio: 'pipe' })
  npm(work, ['install', '--no-save', '--prefer-offline', './vendor/mailstitch.tgz'])
  const installed = JSON.parse(readFileSync(join(work, 'node_modules/mailstitch/package.json'), 'utf8'))
  if (installed.name !== 'mailstitch' || existsSync(join(work, 'node_modules/mailstitch/src'))) throw new Error('mailstitch was not installed from its packed tarball')
  npm(work, ['run', 'build'])
  return join(work, 'dist')
}

test.beforeAll(() => {
  test.setTimeout(180_000)
  built = buildExample()
})
test.afterAll(() => {
  if (built) rmSync(resolve(built, '..'), { recursive: true, force: true })
})

/** Serve the built app: static files, SPA fallback to index.html, /config.js, the app's API. */
function serve(stack: Stack): string[] {
  const posted: string[] = []
  stack.site.route('GET', '/config.js', () => ({
    headers: { 'content-type': 'application/javascript' },
    body: `window.SHOP_CONFIG = ${JSON.stringify({ segmentWriteKey: WRITE_KEY, klaviyoPublicKey: COMPANY_ID, klaviyoListId: LIST_ID, segmentCdnURL: stack.collector.url, klaviyoApiBase: stack.klaviyo.url })}`,
  }))
  stack.site.route('POST', '/api/subscribe', (req) => {
    posted.push(JSON.parse(req.body.toString('utf8')).email)
    return { status: 201, body: { ok: true } }
  })
  stack.site.route('GET', '/*', (req) => {
    const file = normalize(join(built, req.url.pathname))
    const asset = file.startsWith(built) && existsSync(file) && statSync(file).isFile()
    return asset
      ? { headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }, body: readFileSync(file) }
      : { headers: { 'content-type': TYPES['.html']! }, body: readFileSync(join(built, 'index.html')) }
  })
  return posted
}

/** The app's Segment anonymousId, as analytics.js stores it (the app keeps AnalyticsBrowser to itself). */
async function anonymousIdOf(page: Page): Promise<string> {
  const h = await page.waitForFunction(() => {
    const v = localStorage.getItem('ajs_anonymous_id')
    return v ? (JSON.parse(v) as string) : false
  })
  return (await h.jsonValue()) as string
}

async function expectStitched(stack: Stack, email: string, anon: string) {
  const identify = (await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === email, 15_000)) as Ev
  expect(identify.anonymousId).toBe(anon)
  await expect.poll(() => stack.klaviyo.store.findProfile({ email })?.properties?.segment_anonymous_id, { timeout: 15_000 }).toBe(anon)
  expect(stack.klaviyo.store.findProfile({ email })?.anonymous_id).toBe(anon)
  return identify
}

test('the built app uses mailstitch from the packed tarball', () => {
  const js = readFileSync(join(built, 'assets', readdirSync(join(built, 'assets')).find((f) => /^index-.*\.js$/.test(f))!), 'utf8')
  expect(js).toContain('segment_anonymous_id')
  expect(js).toContain('mailstitch:outbox:v1')
})

test('a controlled form that preventDefaults and posts with fetch is captured', async ({ stack }) => {
  const posted = serve(stack)
  const page = await (await stack.device()).newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(stack.site.url + '/')
  const anon = await anonymousIdOf(page)
  await page.fill('#footer-signup-email', 'spa.shopper@example.com')
  await page.click('#footer-signup-submit')
  await expect(page.locator('#footer-signup-done')).toBeVisible()
  expect(posted).toEqual(['spa.shopper@example.com']) // the app's own request went through untouched
  await expectStitched(stack, 'spa.shopper@example.com', anon)
  const captured = (await stack.collector.waitFor((e: Ev) => e.event === 'Email Captured', 15_000)) as Ev
  expect(captured.properties).toMatchObject({ source: 'form', form_id: 'footer-signup' })
  expect(errors).toEqual([])
})

test('a form that mounts after a client-side route change is captured; each route sends a page event', async ({ stack }) => {
  serve(stack)
  const { page, anonymousId: anon } = await stack.visit('/', anonymousIdOf)
  await page.click('#to-product')
  await page.waitForURL('**/products/stitched-tee')
  await page.click('#to-newsletter')
  await page.waitForURL('**/newsletter')
  expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1) // no reload
  await page.fill('#newsletter-signup-email', 'routed@example.com')
  await page.click('#newsletter-signup-submit')
  await expect(page.locator('#newsletter-signup-done')).toBeVisible()
  await expectStitched(stack, 'routed@example.com', anon)
  await expect.poll(() => stack.collector.events().filter((e: Ev) => e.type === 'page').map((e: Ev) => new URL(e.context.page.url).pathname)).toEqual(['/', '/products/stitched-tee', '/newsletter'])
  // Links the app builds itself now carry the bridge id.
  await page.click('#to-home')
  await page.click('#to-product')
  expect(new URL((await page.getAttribute('#share-link', 'href'))!).searchParams.get('mst')).toBe(anon)
})

test('logged in (analytics.identify(userId)): the capture keeps the userId and Klaviyo gets it as external_id', async ({ stack }) => {
  serve(stack)
  const { page, anonymousId: anon } = await stack.visit('/account', anonymousIdOf)
  await page.click('#log-in')
  await expect(page.locator('#signed-in')).toBeVisible()
  await page.fill('#account-signup-email', 'ada.spa@example.com')
  await page.click('#account-signup-submit')
  await expect(page.locator('#account-signup-done')).toBeVisible()
  const identify = await expectStitched(stack, 'ada.spa@example.com', anon)
  expect(identify.userId).toBe('cust_1001')
  expect(stack.klaviyo.store.findProfile({ email: 'ada.spa@example.com' })?.external_id).toBe('cust_1001')
})

test('an email-link landing on a deep route: the first page event already carries the bridged id', async ({ stack }) => {
  serve(stack)
  const token = 'spa-bridge-0123456789'
  const page = await (await stack.device()).newPage()
  await page.goto(`${stack.site.url}/products/stitched-tee?utm_source=klaviyo&mst=${token}`)
  expect(page.url()).toBe(`${stack.site.url}/products/stitched-tee?utm_source=klaviyo`)
  const first = (await stack.collector.waitFor((e: Ev) => e.type === 'page', 15_000)) as Ev
  expect(first.anonymousId).toBe(token)
  expect(first.context.page.url).toBe(`${stack.site.url}/products/stitched-tee?utm_source=klaviyo`)
  const landed = (await stack.collector.waitFor((e: Ev) => e.event === 'Email Link Landed', 15_000)) as Ev
  expect(landed.properties.outcome).toBe('adopted')
})

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => done(port))
    })
    s.on('error', fail)
  })
}

/** `npm run dev` in the example's copy, on `port`; resolves once Vite answers. */
async function startDev(dir: string, port: number, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  let output = ''
  // Its own process group, so the stop reaches vite under npm.
  const child = spawn(NPM, ['run', 'dev', '--', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (c: Buffer) => (output += c))
  child.stderr!.on('data', (c: Buffer) => (output += c))
  await expect
    .poll(async () => (child.exitCode === null ? (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status).catch(() => 0)) : `exited: ${output}`), { timeout: 60_000 })
    .toBe(200)
  return { child, output: () => output }
}

test('README: `npm run dev` serves /api/subscribe, and MAILSTITCH_DEMO=1 sends the signup to `npm run demo`; StrictMode sends each page once', async ({ browser }) => {
  test.setTimeout(120_000)
  const dataDir = mkdtempSync(join(tmpdir(), 'mailstitch-spa-demo-'))
  let demo: Demo | undefined
  let dev: Awaited<ReturnType<typeof startDev>> | undefined
  try {
    demo = await startDemo({ ports: { store: 0, collector: 0, klaviyo: 0, console: 0 }, dataDir, relayIntervalSeconds: 3600 })
    const port = await freePort()
    // The demo's ports are the env variables the demo reads (they default to 8781 and 8782).
    dev = await startDev(resolve(built, '..'), port, { MAILSTITCH_DEMO: '1', MAILSTITCH_COLLECTOR_PORT: String(demo.collector.port), MAILSTITCH_KLAVIYO_PORT: String(new URL(demo.klaviyo.url).port) })
    expect(dev.output()).toContain(`MAILSTITCH_DEMO=1: Segment → ${demo.collector.url}`)

    const context = await browser.newContext()
    // Offline: only this machine (the dev server and the demo's emulators) may be reached.
    const outside: string[] = []
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/, (route) => {
      outside.push(route.request().url())
      return route.abort()
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`http://127.0.0.1:${port}/`)
    const anon = await anonymousIdOf(page)
    await page.fill('#footer-signup-email', 'Dev.Shopper@example.com')
    await page.click('#footer-signup-submit')
    await expect(page.locator('#footer-signup-done')).toHaveText('Thanks! Check your inbox.') // /api/subscribe answered 201
    await expect(page.getByRole('alert')).toHaveCount(0)
    expect(dev.output()).toContain('/api/subscribe: dev.shopper@example.com (footer-signup)')

    // In the demo: Segment (the website's source) and Klaviyo have the visitor, stitched.
    const email = 'dev.shopper@example.com'
    const identify = (await demo.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === email, 15_000)) as Ev
    expect(identify.anonymousId).toBe(anon)
    await expect.poll(() => demo!.klaviyo.store.findProfile({ email })?.properties?.segment_anonymous_id, { timeout: 15_000 }).toBe(anon)

    // React StrictMode runs effects twice in dev; the page call is not in an effect: one per route.
    await page.click('#nav-newsletter')
    await demo.collector.waitFor((e: Ev) => e.type === 'page' && e.anonymousId === anon && new URL(e.context.page.url).pathname === '/newsletter', 15_000)
    const pages = (demo.collector.events() as Ev[]).filter((e) => e.type === 'page' && e.anonymousId === anon).map((e) => new URL(e.context.page.url).pathname)
    expect(pages).toEqual(['/', '/newsletter'])
    expect(errors).toEqual([])
    expect(outside).toEqual([])
    await context.close()
  } finally {
    if (dev?.child.pid && dev.child.exitCode === null) process.kill(-dev.child.pid, 'SIGTERM')
    await demo?.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
