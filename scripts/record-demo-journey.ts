/**
 * Record src/journey/fixtures/demo-journey.jsonl from today's demo: `startDemo()` on ephemeral
 * ports walked in Chromium — browse on 127.0.0.1, subscribe in the footer, the Spring Linen
 * campaign delivered, opened and clicked, the link opened on localhost (a fresh browser), the
 * overshirt added and ordered — then every event the collector received, in arrival order, with
 * the demo's ports normalised to their defaults (8780 store, 8781 collector, 8782 Klaviyo, 8783
 * console) so the file reads like `npm run demo`.
 *
 *   npm run build && node --import tsx scripts/record-demo-journey.ts [out.jsonl]
 *
 * Rerun it when the relay or the SDK changes what they send; the journey model's tests read it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from '@playwright/test'
import { DEFAULT_PORTS, startDemo, type Demo } from '../sandbox/demo'
import { campaignLinkForOtherDevice, demoDevice, laptopSignup, nextSecond, openEmailLink, placeOrder } from '../e2e/support/demo-walk'
import { chromiumLaunchOptions } from './browser'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const EMAIL = 'ada@example.com'
const RELAYED = ['Email Delivered', 'Email Opened', 'Email Link Clicked']

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`record-demo-journey: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function walk(demo: Demo, browser: Browser): Promise<void> {
  // Device 1 (laptop, 127.0.0.1): anonymous browsing, then the footer newsletter form.
  const laptop = await demoDevice(browser)
  const { anonymousId } = await laptopSignup(demo, laptop, EMAIL, 'stoneware-mug')
  await until('the bridge id on the profile', () => demo.klaviyo.store.findProfile({ email: EMAIL })?.properties.segment_anonymous_id === anonymousId)
  // Klaviyo stamps events to the second: the campaign goes out in a later second than the signup.
  await nextSecond()

  // The email simulator: send the campaign, open it, take its first link to "another device".
  const href = await campaignLinkForOtherDevice(demo, laptop, EMAIL)

  // Device 2 (phone, localhost: its own cookies): the link, the overshirt into the cart, the order.
  const phone = await demoDevice(browser)
  const p2 = await openEmailLink(demo, phone, href)
  await p2.click('#add-to-cart')
  await placeOrder(p2)
  await demo.collector.waitFor((e) => e.event === 'Order Completed', 15_000)
  await p2.waitForLoadState('load')
  await demo.collector.waitFor((e) => e.type === 'page' && String((e.context as { page?: { path?: string } } | undefined)?.page?.path) === '/thank-you', 15_000)
  await until('the relayed email events', () => RELAYED.every((name) => demo.collector.events().some((e) => e.event === name)))
  await Promise.all([laptop.close(), phone.close()])
}

/** The demo's ephemeral ports replaced by its default ones, everywhere in the text. */
function normalisePorts(text: string, demo: Demo): string {
  const ports: Array<[string, number]> = [
    [demo.urls.store, DEFAULT_PORTS.store],
    [demo.urls.collector, DEFAULT_PORTS.collector],
    [demo.urls.klaviyo, DEFAULT_PORTS.klaviyo],
    [demo.urls.console, DEFAULT_PORTS.console],
  ]
  let out = text
  for (const [url, port] of ports) out = out.replace(new RegExp(`(127\\.0\\.0\\.1|localhost):${new URL(url).port}\\b`, 'g'), `$1:${port}`)
  return out
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'src/journey/fixtures/demo-journey.jsonl'))
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailstitch-record-'))
  const browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
  const demo = await startDemo({ ports: { store: 0, collector: 0, klaviyo: 0, console: 0 }, dataDir, relayIntervalSeconds: 1 })
  try {
    await walk(demo, browser)
    const lines = demo.collector.events().map((e) => JSON.stringify(e))
    writeFileSync(out, normalisePorts(lines.join('\n') + '\n', demo))
    console.log(`record-demo-journey: ${lines.length} events written to ${path.relative(process.cwd(), out)}`)
  } finally {
    await demo.close()
    await browser.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
