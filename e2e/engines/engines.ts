/**
 * The three browser engines shoppers use, from Debian's packages, behind one small interface:
 * Chromium and Firefox ESR through puppeteer-core (CDP and WebDriver BiDi), WebKitGTK's
 * MiniBrowser through WebKitWebDriver (W3C WebDriver, selenium-webdriver) on a private Xvfb
 * display (docs/testing.md, "Browser engines").
 *
 * A missing engine is an error that says what to install; it never turns into a skipped test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core'
import { Builder, By, type WebDriver } from 'selenium-webdriver'
import { CHROMIUM_ARGS } from '../../scripts/browser'

/** The engines the suite runs in. */
export const ENGINE_NAMES = ['chromium', 'firefox', 'webkit'] as const
/** One of {@link ENGINE_NAMES}. */
export type EngineName = (typeof ENGINE_NAMES)[number]

/** How long a browser or a WebDriver session may take to start before the run fails. */
const START_TIMEOUT_MS = 45_000
/** How long a navigation or a script in the page may take. */
const STEP_TIMEOUT_MS = 30_000
/** How often a poll asks again. */
const POLL_MS = 100

/** One fresh browser profile ("device"): no cookies or storage shared with any other device. */
export interface Device {
  /** Navigate and wait for the load event. */
  goto(url: string): Promise<void>
  /** The address bar's URL. */
  url(): Promise<string>
  /** Evaluate a JavaScript expression in the page; a promise is awaited. The result must be JSON. */
  evaluate<T>(expression: string): Promise<T>
  /** Type `text` into the element matching a CSS selector, as a user would. */
  type(selector: string, text: string): Promise<void>
  /** Click the element matching a CSS selector. */
  click(selector: string): Promise<void>
  /** Wait until the URL matches `pattern` and that page has loaded. */
  waitForUrl(pattern: RegExp, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A running engine that hands out fresh devices. */
export interface Engine {
  name: EngineName
  /** Browser name and version as the engine reports it. */
  version: string
  device(): Promise<Device>
  close(): Promise<void>
}

/** Reject with `what` when `promise` has not settled within `ms` (and run `onTimeout`). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.()
      reject(new Error(`${what}: no answer within ${ms / 1000} s`))
    }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Ask `probe` every {@link POLL_MS} until it answers true (then true) or `timeoutMs` has passed
 * (then false). A probe that throws has not answered yet.
 */
export async function pollUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await probe()) return true
    } catch {
      // Not yet (a server not listening, a page between documents).
    }
    if (Date.now() >= deadline) return false
    await delay(POLL_MS)
  }
}

/**
 * What an engine has opened (browser contexts, WebDriver sessions): `add` returns the function
 * that closes that one; `closeAll` closes what is still open. Each is closed once; errors on
 * closing are ignored (the browser may be gone already).
 */
function openHandles<T>(closeOne: (handle: T) => Promise<unknown>): { add(handle: T): () => Promise<void>; closeAll(): Promise<void> } {
  const open = new Set<T>()
  const close = async (handle: T) => {
    if (open.delete(handle)) await closeOne(handle).catch(() => {})
  }
  return {
    add(handle) {
      open.add(handle)
      return () => close(handle)
    },
    async closeAll() {
      await Promise.all([...open].map(close))
    },
  }
}

/** An executable from an environment variable or the first default path that exists; else a clear error. */
function executable(envVar: string, defaults: string[], install: string): string {
  const configured = process.env[envVar]
  const candidates = configured ? [configured] : defaults
  const found = candidates.find((p) => existsSync(p))
  if (found) return found
  throw new Error(`${candidates.join(' or ')} not found: ${install} (as root), or set ${envVar}`)
}

/** MiniBrowser lives under the multiarch library folder (x86_64-linux-gnu, aarch64-linux-gnu, …). */
function miniBrowserPaths(): string[] {
  let arches: string[] = []
  try {
    arches = readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu'))
  } catch {
    // No /usr/lib: the error below names the package to install.
  }
  return arches.map((a) => `/usr/lib/${a}/webkit2gtk-4.1/MiniBrowser`)
}

/** Resolve the executables an engine needs; throws the install instruction when one is missing. */
export function engineExecutables(name: EngineName): Record<string, string> {
  if (name === 'chromium') return { browser: executable('CHROMIUM_PATH', ['/usr/bin/chromium'], 'apt-get install -y chromium') }
  if (name === 'firefox') return { browser: executable('FIREFOX_PATH', ['/usr/bin/firefox-esr'], 'apt-get install -y firefox-esr') }
  return {
    driver: executable('WEBKIT_DRIVER_PATH', ['/usr/bin/WebKitWebDriver'], 'apt-get install -y webkit2gtk-driver'),
    browser: executable('MINIBROWSER_PATH', miniBrowserPaths(), 'apt-get install -y webkit2gtk-driver (MiniBrowser comes with libwebkit2gtk-4.1-0)'),
    xvfb: executable('XVFB_PATH', ['/usr/bin/Xvfb'], 'apt-get install -y xvfb'),
  }
}

/** Start an engine. Every start is bounded by a timeout; a missing engine throws with what to install. */
export async function launchEngine(name: EngineName): Promise<Engine> {
  const paths = engineExecutables(name)
  if (name === 'webkit') return launchWebKit(paths)
  return launchPuppeteer(name, paths.browser!)
}

// ---------------------------------------------------------------------------------------------
// Chromium and Firefox: puppeteer-core. Each device is a browser context (its own profile).

async function launchPuppeteer(name: 'chromium' | 'firefox', executablePath: string): Promise<Engine> {
  const browser: Browser = await withTimeout(
    puppeteer.launch(
      name === 'firefox'
        ? { browser: 'firefox', executablePath, headless: true, protocolTimeout: 60_000, timeout: START_TIMEOUT_MS }
        : { browser: 'chrome', executablePath, headless: true, args: CHROMIUM_ARGS, protocolTimeout: 60_000, timeout: START_TIMEOUT_MS },
    ),
    START_TIMEOUT_MS + 5_000,
    `starting ${name} (${executablePath})`,
  )
  const contexts = openHandles((context: BrowserContext) => context.close())
  return {
    name,
    version: await browser.version(),
    async device() {
      const context = await withTimeout(browser.createBrowserContext(), START_TIMEOUT_MS, `${name}: new browser context`)
      const closeContext = contexts.add(context)
      const page = await context.newPage()
      page.setDefaultTimeout(STEP_TIMEOUT_MS)
      page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS)
      return puppeteerDevice(page, closeContext)
    },
    async close() {
      await contexts.closeAll()
      await browser.close().catch(() => {})
    },
  }
}

function puppeteerDevice(page: Page, close: () => Promise<void>): Device {
  return {
    async goto(url) {
      await page.goto(url, { waitUntil: 'load' })
    },
    url: async () => page.url(),
    evaluate: <T>(expression: string) => withTimeout(page.evaluate(expression) as Promise<T>, STEP_TIMEOUT_MS, `evaluate ${expression.slice(0, 60)}`),
    async type(selector, text) {
      await page.type(selector, text)
    },
    async click(selector) {
      await page.click(selector)
    },
    waitForUrl: (pattern, timeoutMs = STEP_TIMEOUT_MS) => waitForLoadedUrl(() => page.url(), (e) => page.evaluate(e), pattern, timeoutMs),
    close,
  }
}

// ---------------------------------------------------------------------------------------------
// WebKitGTK: MiniBrowser has no headless mode, so it gets a private Xvfb display; each device is a
// new WebDriver session, which starts with an empty profile.

/** A free TCP port on 127.0.0.1 (WebKitWebDriver wants a number, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Start Xvfb on a display it picks itself (`-displayfd`), so parallel runs never collide. */
async function startXvfb(xvfb: string): Promise<{ display: string; process: ChildProcess }> {
  const child = spawn(xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const display = await withTimeout(
    new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdio[3]!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('\n')) resolve(':' + out.trim())
      })
      child.on('error', reject)
      child.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${stderr.trim().slice(-300)}`)))
    }),
    START_TIMEOUT_MS,
    'starting Xvfb',
    () => child.kill('SIGKILL'),
  )
  return { display, process: child }
}

/** Wait until WebKitWebDriver answers /status; fails when it exits or stays silent. */
async function waitForDriver(base: string, driver: ChildProcess): Promise<void> {
  const answered = await pollUntil(async () => driver.exitCode !== null || (await fetch(base + '/status', { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })).ok, START_TIMEOUT_MS)
  if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`)
  if (!answered) throw new Error(`starting WebKitWebDriver: no answer within ${START_TIMEOUT_MS / 1000} s`)
}

async function launchWebKit(paths: Record<string, string>): Promise<Engine> {
  const xvfb = await startXvfb(paths.xvfb!)
  const children: ChildProcess[] = [xvfb.process]
  const killAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  }
  // If this process ends without calling close() (or is stopped by a timeout's SIGTERM), take
  // the display and the driver with it.
  const onSignal = () => {
    killAll()
    process.exit(143)
  }
  const release = () => {
    process.removeListener('exit', killAll)
    process.removeListener('SIGTERM', onSignal)
  }
  process.once('exit', killAll)
  process.once('SIGTERM', onSignal)
  try {
    const port = await freePort()
    const driver = spawn(paths.driver!, [`--port=${port}`, '--host=127.0.0.1'], { env: { ...process.env, DISPLAY: xvfb.display }, stdio: 'ignore' })
    children.push(driver)
    const base = `http://127.0.0.1:${port}`
    await waitForDriver(base, driver)
    const capabilities = { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: paths.browser, args: ['--automation'] } }
    const sessions = openHandles((session: WebDriver) => session.quit())
    const newSession = async (): Promise<WebDriver> => {
      // Without a working display the new-session request hangs silently: bound it.
      const session = await withTimeout(new Builder().usingServer(base).withCapabilities(capabilities).build(), START_TIMEOUT_MS, `WebKitWebDriver new session (DISPLAY=${xvfb.display})`)
      await session.manage().setTimeouts({ script: STEP_TIMEOUT_MS, pageLoad: STEP_TIMEOUT_MS })
      return session
    }
    const first = await newSession()
    const caps = await first.getCapabilities()
    const version = `MiniBrowser (WebKitGTK ${caps.get('browserVersion') ?? '?'})`
    await first.quit()
    return {
      name: 'webkit',
      version,
      async device() {
        const session = await newSession()
        return webDriverDevice(session, sessions.add(session))
      },
      async close() {
        await sessions.closeAll()
        killAll()
        release()
      },
    }
  } catch (err) {
    killAll()
    release()
    throw err
  }
}

function webDriverDevice(session: WebDriver, close: () => Promise<void>): Device {
  // W3C Execute Script awaits a returned promise, so one form serves sync and async expressions.
  const evaluate = <T>(expression: string) => session.executeScript<T>(`return (${expression})`)
  return {
    async goto(url) {
      await session.get(url)
    },
    url: () => session.getCurrentUrl(),
    evaluate,
    async type(selector, text) {
      await session.findElement(By.css(selector)).sendKeys(text)
    },
    async click(selector) {
      await session.findElement(By.css(selector)).click()
    },
    waitForUrl: (pattern, timeoutMs = STEP_TIMEOUT_MS) => waitForLoadedUrl(() => session.getCurrentUrl(), evaluate, pattern, timeoutMs),
    close,
  }
}

/** Poll until the URL matches and its document has loaded (evaluations fail mid-navigation). */
async function waitForLoadedUrl(url: () => Promise<string> | string, evaluate: (e: string) => Promise<unknown>, pattern: RegExp, timeoutMs: number): Promise<void> {
  let last = ''
  const loaded = await pollUntil(async () => {
    last = await url()
    return pattern.test(last) && (await evaluate('document.readyState')) === 'complete'
  }, timeoutMs)
  if (loaded) return
  throw new Error(`URL did not match ${pattern} within ${timeoutMs / 1000} s (last: ${last})`)
}
